import { listLoaded, listPageAppended } from '../store/conversation-list.state';
import { ClientContext, reason } from './client-context';

const LIST_PAGE = 20;

/** Loads the conversation list: its first page again (coalesced) and the next pages. */
export class ListLoader {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly ctx: Pick<ClientContext, 'api' | 'token' | 'list'>,
    /** A read of this tab's the server does not have yet: to be reported again. */
    private readonly reportAgain: (friendId: number, seq: number) => void,
  ) {}

  /**
   * The first page of the conversation list, read again (after a connect, on focus, when a
   * change could not be counted locally). One request at a time; a call meanwhile reads once more.
   */
  load(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const { api, list } = this.ctx;
    const run = async () => {
      do {
        this.again = false;
        list.set((l) => (l.status === 'loaded' ? l : { ...l, status: 'loading' }));
        try {
          const page = await api.conversations(this.ctx.token(), { limit: LIST_PAGE });
          list.set((l) => listLoaded(l, page));
          // A read of this tab's the server does not have (lost with a socket, or refused over
          // HTTP while it was away): reported again. Reads are monotonic, so a repeat is harmless.
          for (const c of page.list) {
            const local = list.get().items.find((x) => x.friendId === c.friendId);
            if (local && local.readSeq > c.readSeq) this.reportAgain(c.friendId, local.readSeq);
          }
        } catch (e) {
          list.set((l) => ({ ...l, status: l.status === 'loaded' ? 'loaded' : 'error', error: reason(e) }));
        }
      } while (this.again);
    };
    this.running = run().finally(() => (this.running = null));
    return this.running;
  }

  /** The next page of the list (`cursor`). */
  async loadMore(): Promise<void> {
    const { api, list } = this.ctx;
    const l = list.get();
    if (!l.nextCursor || l.loadingMore) return;
    list.set((x) => ({ ...x, loadingMore: true }));
    try {
      const page = await api.conversations(this.ctx.token(), { limit: LIST_PAGE, cursor: l.nextCursor });
      list.set((x) => listPageAppended(x, page));
    } catch (e) {
      list.set((x) => ({ ...x, loadingMore: false, error: reason(e) }));
    }
  }
}
