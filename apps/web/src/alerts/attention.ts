import type { WireMessage } from '../protocol/frames';
import { imageUrlOf } from '../protocol/image-links';
import { Store } from '../store/store';
import { badgedIcon } from './favicon-badge';

// What a tab in the background does when a friend's message comes: a red count on the tab's
// icon (always), and, once the user turned them on, a notification and a short sound. Back in
// view, the icon is plain again and the notifications go.

export type AlertsStatus =
  /** Not turned on (nothing is asked before the user does). */
  | 'off'
  /** Notifications and sound. */
  | 'on'
  /** Turned on, but the browser refuses notifications: the sound only. */
  | 'sound-only';

export interface AlertsState {
  status: AlertsStatus;
  /** Friends' messages that came while the tab was hidden (the icon's badge). */
  unseen: number;
}

const SETTING = 'chat.alerts';

interface Options {
  doc?: Document;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** A notification was clicked: show that conversation. */
  onOpen: (friendId: number) => void;
}

export class Attention {
  readonly state: Store<AlertsState>;
  private readonly doc: Document;
  private readonly storage: Options['storage'];
  private readonly seen = new Set<number>();
  private readonly shown: Notification[] = [];
  private plainIcon: string | null = null;
  private audio: AudioContext | null = null;
  private readonly onVisibility = () => {
    if (this.doc.visibilityState !== 'hidden') this.clear();
  };
  // A reload keeps the setting but not the audio: the first touch or key of the page wakes it.
  private readonly wakeAudio = () => {
    if (this.state.get().status !== 'off') void this.audioContext()?.resume().catch(() => undefined);
  };

  constructor(private readonly options: Options) {
    this.doc = options.doc ?? document;
    this.storage = options.storage === undefined ? localStorageOrNull() : options.storage;
    const wanted = this.storage?.getItem(SETTING) === 'on';
    this.state = new Store<AlertsState>({ status: wanted ? (notificationPermission() === 'granted' ? 'on' : 'sound-only') : 'off', unseen: 0 });
  }

  start(): void {
    this.doc.addEventListener('visibilitychange', this.onVisibility);
    this.doc.addEventListener('pointerdown', this.wakeAudio, { once: true });
    this.doc.addEventListener('keydown', this.wakeAudio, { once: true });
  }

  stop(): void {
    this.doc.removeEventListener('visibilitychange', this.onVisibility);
    this.doc.removeEventListener('pointerdown', this.wakeAudio);
    this.doc.removeEventListener('keydown', this.wakeAudio);
    this.clear();
    void this.audio?.close().catch(() => undefined);
  }

  /**
   * The user turned alerts on (a click: the only moment a browser lets a page ask for
   * notifications and start its audio).
   */
  async enable(): Promise<void> {
    void this.audioContext()?.resume().catch(() => undefined);
    let permission = notificationPermission();
    if (permission === 'default') permission = await Notification.requestPermission().catch(() => 'denied' as const);
    this.storage?.setItem(SETTING, 'on');
    this.state.set((s) => ({ ...s, status: permission === 'granted' ? 'on' : 'sound-only' }));
  }

  disable(): void {
    this.storage?.removeItem(SETTING);
    this.state.set((s) => ({ ...s, status: 'off' }));
  }

  /** A friend's message came on the socket. */
  message(m: WireMessage, friendId: number): void {
    if (this.doc.visibilityState !== 'hidden') return;
    // Pushed again after a reconnect: already counted.
    if (m.id !== undefined) {
      if (this.seen.has(m.id)) return;
      this.seen.add(m.id);
    }
    this.state.set((s) => ({ ...s, unseen: s.unseen + 1 }));
    this.showBadge(this.state.get().unseen);
    const { status } = this.state.get();
    if (status === 'off') return;
    this.chime();
    if (status === 'on') this.notify(m, friendId);
  }

  private clear(): void {
    this.seen.clear();
    for (const n of this.shown.splice(0)) n.close();
    if (this.state.get().unseen) this.state.set((s) => ({ ...s, unseen: 0 }));
    const link = this.iconLink();
    if (link && this.plainIcon !== null) {
      link.href = this.plainIcon;
      link.type = 'image/svg+xml';
      delete link.dataset.unread;
    }
  }

  private iconLink(): HTMLLinkElement | null {
    return this.doc.querySelector<HTMLLinkElement>('link[rel~="icon"]');
  }

  private showBadge(count: number): void {
    const link = this.iconLink();
    const icon = link && badgedIcon(count, this.doc);
    if (!link || !icon) return;
    this.plainIcon ??= link.getAttribute('href');
    link.type = 'image/png';
    link.href = icon;
    link.dataset.unread = String(count);
  }

  private notify(m: WireMessage, friendId: number): void {
    if (notificationPermission() !== 'granted') return;
    try {
      const n = new Notification(m.sender || `User ${friendId}`, {
        body: imageUrlOf(m.text) ? '🖼 Image' : m.text.slice(0, 200),
        // One per conversation: the newest replaces the one before.
        tag: `chat-${friendId}`,
        icon: '/favicon.svg',
      });
      n.onclick = () => {
        globalThis.focus?.();
        this.options.onOpen(friendId);
        n.close();
      };
      this.shown.push(n);
    } catch {
      // Some browsers allow notifications only from a service worker: the badge and sound remain.
    }
  }

  /** Two short soft tones, made on the spot (no file to load). */
  private chime(): void {
    const ctx = this.audioContext();
    if (!ctx || ctx.state !== 'running') return;
    const t = ctx.currentTime;
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
    const tone = ctx.createOscillator();
    tone.type = 'sine';
    tone.frequency.setValueAtTime(880, t);
    tone.frequency.setValueAtTime(1320, t + 0.12);
    tone.connect(gain);
    tone.start(t);
    tone.stop(t + 0.36);
  }

  private audioContext(): AudioContext | null {
    if (this.audio) return this.audio;
    const Ctor = globalThis.AudioContext as typeof AudioContext | undefined;
    if (!Ctor) return null;
    try {
      this.audio = new Ctor();
    } catch {
      return null;
    }
    return this.audio;
  }
}

function localStorageOrNull(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked: the setting lasts as long as the page
  }
}

function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}
