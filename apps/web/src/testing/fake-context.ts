import type { ClientContext, ClientState } from '../chat/client-context';
import type { HttpApi } from '../protocol/http-api';
import { DEFAULT_OFFSET_MINUTES } from '../protocol/server-clock';
import { initialList } from '../store/conversation-list.state';
import { ConversationState, initialConversation } from '../store/conversation.state';
import { Store } from '../store/store';

export const ME = 1;
export const FRIEND = 2;

/** A ClientContext for one part's spec: frames go to `sent`, the API is whatever the spec gives. */
export function fakeContext(api: Partial<HttpApi> = {}, opts: { v2?: boolean; open?: boolean; now?: () => number } = {}) {
  const sent: unknown[] = [];
  const socket = { open: opts.open ?? true, v2: opts.v2 ?? true };
  const ctx: ClientContext = {
    api: api as HttpApi,
    state: new Store<ClientState>({ connection: { status: 'stopped' }, openFriendId: null, notices: [], serverOffsetMinutes: DEFAULT_OFFSET_MINUTES }),
    list: new Store(initialList(ME)),
    conversations: new Map(),
    me: ME,
    myName: 'me',
    token: () => 't',
    now: opts.now ?? (() => 1_000_000),
    v2: () => socket.open && socket.v2,
    send: (raw) => {
      if (!socket.open) return false;
      sent.push(JSON.parse(raw));
      return true;
    },
  };
  const conversation = (friendId = FRIEND, patch: Partial<ConversationState> = {}) => {
    const store = new Store({ ...initialConversation(ME, friendId, '小红'), ...patch });
    ctx.conversations.set(friendId, store);
    return store;
  };
  return { ctx, sent, socket, conversation };
}

export const item = (id: number, seq: number, senderId: number, text = `m${id}`) => ({
  id,
  seq,
  senderId,
  to: senderId === ME ? FRIEND : ME,
  sender: senderId === ME ? 'me' : '小红',
  text,
  time: '2026-12-01 10:00:00',
});
