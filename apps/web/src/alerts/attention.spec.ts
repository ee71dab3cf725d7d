import { Attention } from './attention';

// The counting and the setting, with a document that can be hidden (no canvas here: the icon
// itself is drawn in the browser tests).

function fakeDocument() {
  const listeners = new Map<string, () => void>();
  return {
    visibilityState: 'visible' as DocumentVisibilityState,
    addEventListener: (type: string, l: () => void) => listeners.set(type, l),
    removeEventListener: (type: string) => listeners.delete(type),
    querySelector: () => null,
    createElement: () => ({ getContext: () => null }),
    fire: (type: string) => listeners.get(type)?.(),
  };
}

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

const message = (id: number, text = 'hi') => ({ id, senderId: 2, to: 1, sender: '小红', text, time: '2026-12-01 10:00:00' });

describe('Attention', () => {
  it('counts a friend’s messages only while the tab is hidden, each id once, and clears when it is back', () => {
    const doc = fakeDocument();
    const a = new Attention({ doc: doc as unknown as Document, storage: memoryStorage(), onOpen: () => undefined });
    a.start();
    a.message(message(1), 2);
    expect(a.state.get().unseen).toBe(0);
    doc.visibilityState = 'hidden';
    a.message(message(2), 2);
    a.message(message(3), 2);
    a.message(message(3), 2); // pushed again after a reconnect
    expect(a.state.get().unseen).toBe(2);
    doc.visibilityState = 'visible';
    doc.fire('visibilitychange');
    expect(a.state.get().unseen).toBe(0);
    a.stop();
  });

  it('is off until turned on, and remembers it (sound only where notifications do not exist)', async () => {
    const storage = memoryStorage();
    const doc = fakeDocument() as unknown as Document;
    const a = new Attention({ doc, storage, onOpen: () => undefined });
    expect(a.state.get().status).toBe('off');
    await a.enable();
    expect(a.state.get().status).toBe('sound-only');
    expect(new Attention({ doc, storage, onOpen: () => undefined }).state.get().status).toBe('sound-only');
    a.disable();
    expect(new Attention({ doc, storage, onOpen: () => undefined }).state.get().status).toBe('off');
  });
});
