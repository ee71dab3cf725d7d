import { catchUpFrom, ConversationState, initialConversation, mergeServerMessages, oldestId, receiptsMoved } from '../store/conversation.state';
import { Store } from '../store/store';
import { ClientContext, reason } from './client-context';

const PAGE = 30;
const CATCH_UP_PAGE = 100;
// Bounds one catch-up: a client away for longer than this many messages reloads the newest.
const CATCH_UP_MAX_PAGES = 50;

/** Loads an open conversation's history: its newest page, older pages, and what it missed. */
export class ConversationLoader {
  private readonly catchUps = new Map<number, Promise<void>>();

  constructor(private readonly ctx: Pick<ClientContext, 'api' | 'token' | 'conversations' | 'list' | 'state' | 'me'>) {}

  /**
   * The conversation with `friendId`: made (named as given, else as the list or a notice names
   * the friend; `pending` adds the outbox's sends) with its newest page loading, or, when it
   * exists already, caught up.
   */
  open(friendId: number, friendName: string | undefined, pending: (s: ConversationState) => ConversationState): Store<ConversationState> {
    const { conversations, list, state } = this.ctx;
    const existing = conversations.get(friendId);
    if (existing) {
      void this.refresh(friendId);
      return existing;
    }
    const listed = list.get().items.find((c) => c.friendId === friendId);
    const noticed = state.get().notices.find((n) => n.friendId === friendId);
    let initial = initialConversation(this.ctx.me, friendId, friendName ?? listed?.friendName ?? noticed?.name);
    if (listed) initial = receiptsMoved(initial, { readSeq: listed.readSeq, friendReadSeq: listed.friendReadSeq });
    const store = new Store(pending(initial));
    conversations.set(friendId, store);
    void this.loadNewest(friendId);
    return store;
  }

  async loadNewest(friendId: number): Promise<void> {
    const store = this.ctx.conversations.get(friendId);
    if (!store) return;
    store.set((s) => ({ ...s, history: 'loading' }));
    try {
      const slice = await this.ctx.api.history(this.ctx.token(), friendId, { limit: PAGE });
      store.set((s) => ({ ...mergeServerMessages(s, slice.list), history: 'loaded', hasOlder: slice.hasMore, error: undefined }));
    } catch (e) {
      store.set((s) => ({ ...s, history: 'error', error: reason(e) }));
    }
  }

  async loadOlder(friendId: number): Promise<void> {
    const store = this.ctx.conversations.get(friendId);
    const s = store?.get();
    if (!store || !s || !s.hasOlder || s.loadingOlder) return;
    const beforeId = oldestId(s);
    if (beforeId === undefined) return;
    store.set((c) => ({ ...c, loadingOlder: true }));
    try {
      const slice = await this.ctx.api.history(this.ctx.token(), friendId, { beforeId, limit: PAGE });
      store.set((c) => ({ ...mergeServerMessages(c, slice.list), hasOlder: slice.hasMore, loadingOlder: false }));
    } catch (e) {
      store.set((c) => ({ ...c, loadingOlder: false, error: reason(e) }));
    }
  }

  /** What the conversation missed: its first page if that never came, else everything after its newest message. */
  refresh(friendId: number): Promise<void> {
    const running = this.catchUps.get(friendId);
    if (running) return running;
    const run = (async () => {
      const store = this.ctx.conversations.get(friendId);
      if (!store) return;
      if (store.get().history !== 'loaded') return this.loadNewest(friendId);
      let afterId = catchUpFrom(store.get());
      try {
        for (let page = 0; page < CATCH_UP_MAX_PAGES; page++) {
          const slice = await this.ctx.api.history(this.ctx.token(), friendId, { afterId, limit: CATCH_UP_PAGE });
          store.set((s) => mergeServerMessages(s, slice.list));
          const next = slice.nextAfterId ?? catchUpFrom(store.get());
          if (!slice.hasMore || !slice.list.length || next === afterId) break;
          afterId = next;
        }
      } catch (e) {
        store.set((s) => ({ ...s, error: reason(e) }));
      }
    })().finally(() => this.catchUps.delete(friendId));
    this.catchUps.set(friendId, run);
    return run;
  }
}
