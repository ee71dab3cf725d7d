// The user's messages not yet acknowledged, in send order, with the clientMsgId each was first
// sent with. Every (re)send uses that same id, so the server stores each message once however
// often it is sent. Kept in sessionStorage: a reload of the tab keeps what was not sent yet.

export interface OutboxEntry {
  clientMsgId: string;
  to: number;
  text: string;
  /** A refusal that sending again would not fix (the text is too long, ...): kept for the user. */
  failed?: { reason: string; retryable: boolean };
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class Outbox {
  private entries: OutboxEntry[];

  constructor(
    private readonly storage: KeyValueStorage | null,
    private readonly key: string,
  ) {
    this.entries = this.load();
  }

  /** What the next open socket sends again. */
  toSend(): OutboxEntry[] {
    return this.entries.filter((e) => !e.failed);
  }

  forFriend(friendId: number): OutboxEntry[] {
    return this.entries.filter((e) => e.to === friendId);
  }

  get(clientMsgId: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.clientMsgId === clientMsgId);
  }

  add(entry: OutboxEntry): void {
    this.entries = [...this.entries, entry];
    this.save();
  }

  remove(clientMsgId: string): void {
    this.entries = this.entries.filter((e) => e.clientMsgId !== clientMsgId);
    this.save();
  }

  fail(clientMsgId: string, reason: string, retryable: boolean): void {
    this.entries = this.entries.map((e) => (e.clientMsgId === clientMsgId ? { ...e, failed: { reason, retryable } } : e));
    this.save();
  }

  retry(clientMsgId: string): OutboxEntry | undefined {
    this.entries = this.entries.map((e) => {
      if (e.clientMsgId !== clientMsgId) return e;
      const next = { ...e };
      delete next.failed;
      return next;
    });
    this.save();
    return this.get(clientMsgId);
  }

  private load(): OutboxEntry[] {
    try {
      const raw = this.storage?.getItem(this.key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed)
        ? parsed.filter(
            (e): e is OutboxEntry =>
              !!e && typeof e.clientMsgId === 'string' && typeof e.to === 'number' && typeof e.text === 'string',
          )
        : [];
    } catch {
      return [];
    }
  }

  private save(): void {
    try {
      if (this.entries.length) this.storage?.setItem(this.key, JSON.stringify(this.entries));
      else this.storage?.removeItem(this.key);
    } catch {
      // Storage full or disabled: the outbox still works for this page's life.
    }
  }
}
