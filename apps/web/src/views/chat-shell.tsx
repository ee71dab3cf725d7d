import { useEffect, useMemo, useState } from 'preact/hooks';
import { Attention } from '../alerts/attention';
import type { ChatClient } from '../chat/chat-client';
import { saveSession, Session } from '../chat/session';
import { AccountsApi, SignedInUser } from '../protocol/accounts-api';
import type { HttpApi, UserSummary } from '../protocol/http-api';
import { AlertsButton } from './alerts-button';
import { ConnectionBanner } from './connection-banner';
import { Contacts } from './contacts';
import { Profile } from './profile';
import { totalUnread } from '../store/conversation-list.state';
import { ConversationList } from './conversation-list';
import { ConversationView } from './conversation-view';
import { FriendPicker } from './friend-picker';
import { useStore } from './use-store';

interface Props {
  api: HttpApi;
  client: ChatClient;
  session: Session;
  devUsers: UserSummary[] | null;
  onRefreshUsers: () => Promise<UserSummary[] | null>;
  onSignOut: (because?: string) => void;
}

// The address keeps the open conversation (#/chat/<friendId>) or the profile (#/profile): a
// reload opens it again, the browser's back button goes where the user was.
const CHAT_HASH = /^#\/chat\/(\d{1,15})$/;
const PROFILE_HASH = '#/profile';

export function ChatShell({ api, client, session, devUsers, onRefreshUsers, onSignOut }: Props) {
  const state = useStore(client.state);
  const accounts = useMemo(() => new AccountsApi(), []);
  const [profileOpen, setProfileOpen] = useState(() => location.hash === PROFILE_HASH);
  // Who this user is, as the server has them (a token sign-in carries no name).
  const [me, setMe] = useState<SignedInUser | null>(null);
  const [blocked, setBlocked] = useState<ReadonlySet<number>>(new Set());
  const [blockError, setBlockError] = useState<string | null>(null);
  const myself = (user: SignedInUser) => {
    setMe(user);
    // The name outgoing messages carry in this tab, and after a reload.
    session.name = user.name;
    saveSession(sessionStorage, session);
  };
  useEffect(() => {
    accounts.me(session.token).then(myself, () => undefined);
    accounts.blocked(session.token).then(
      (users) => setBlocked(new Set(users.map((u) => u.id))),
      () => undefined,
    );
  }, [session.token]);

  useEffect(() => {
    const fromAddress = () => {
      const m = CHAT_HASH.exec(location.hash);
      setProfileOpen(location.hash === PROFILE_HASH);
      if (m) {
        const id = Number(m[1]);
        if (client.state.get().openFriendId === id) return;
        const store = client.open(id);
        // Opened from the address alone: the name comes from the server, not "User <id>".
        accounts.detail(session.token, id).then(
          (u) => store.set((c) => (c.friendName === u.name ? c : { ...c, friendName: u.name })),
          () => undefined,
        );
      } else if (client.state.get().openFriendId !== null) client.closeConversation();
    };
    fromAddress();
    addEventListener('hashchange', fromAddress);
    return () => removeEventListener('hashchange', fromAddress);
  }, [client]);
  useEffect(() => {
    const id = client.state.get().openFriendId;
    if (id === null && (location.hash === PROFILE_HASH || !location.hash)) return;
    const want = id === null ? location.pathname + location.search : `#/chat/${id}`;
    if (location.hash !== want) history.pushState(null, '', want);
  }, [state.openFriendId]);
  const openProfile = () => {
    if (location.hash !== PROFILE_HASH) location.hash = PROFILE_HASH;
  };
  const closeProfile = () => {
    history.pushState(null, '', location.pathname + location.search);
    setProfileOpen(false);
  };

  const toggleBlock = (friendId: number) => {
    const was = blocked.has(friendId);
    setBlockError(null);
    (was ? accounts.unblock(session.token, friendId) : accounts.block(session.token, friendId)).then(
      () => {
        const next = new Set(blocked);
        if (was) next.delete(friendId);
        else next.add(friendId);
        setBlocked(next);
      },
      (err: unknown) => setBlockError(err instanceof Error ? err.message : String(err)),
    );
  };
  const list = useStore(client.list);
  const open = state.openFriendId === null ? undefined : client.conversation(state.openFriendId);
  const unread = totalUnread(list);
  // A tab in the background: badge on the icon, and (once turned on) notification and sound.
  const attention = useMemo(() => new Attention({ onOpen: (friendId) => client.open(friendId) }), [client]);
  useEffect(() => {
    attention.start();
    const off = client.onIncoming((m, friendId) => attention.message(m, friendId));
    return () => {
      off();
      attention.stop();
    };
  }, [attention]);

  // Back to the list: the keyboard lands on the conversation it came from.
  const back = () => {
    const from = state.openFriendId;
    client.closeConversation();
    requestAnimationFrame(() => document.querySelector<HTMLElement>(`button.conversation-item[data-friend-id="${from}"]`)?.focus());
  };

  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }, [unread]);

  useEffect(() => {
    if (state.connection.status === 'refused') onSignOut('The server no longer accepts your token: sign in again.');
  }, [state.connection.status]);

  return (
    // Phone-sized screens show the list or the conversation; wider ones both, side by side.
    <div class="shell" data-view={open ? 'conversation' : 'list'}>
      <header class="top-bar">
        <span class="me">
          <span class="visually-hidden">Signed in as </span>
          {me?.img && <img class="me-avatar" src={me.img} alt="" width={24} height={24} />}
          {me?.name ?? session.name ?? `User ${session.userId}`} <span class="muted">#{session.userId}</span>
        </span>
        <button type="button" class="link-button" onClick={openProfile}>
          Profile
        </button>
        <AlertsButton attention={attention} />
        <button type="button" class="link-button" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      <ConnectionBanner state={state.connection} onRetry={() => client.reconnectNow()} />
      {/* Inside a conversation on a phone the list is out of sight: these say what came elsewhere. */}
      {open && state.notices.length > 0 && (
        <ul class="notices" aria-label="New messages in other conversations">
          {state.notices.map((n) => (
            <li key={n.friendId}>
              <button type="button" class="link-button" onClick={() => client.open(n.friendId, n.name)}>
                {n.count === 1 ? 'New message' : `${n.count} new messages`} from {n.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {state.problem && (
        <p class="error" role="alert">
          {state.problem}{' '}
          <button type="button" class="link-button" onClick={() => client.clearProblem()}>
            Dismiss
          </button>
        </p>
      )}
      {profileOpen ? (
        <main class="panes">
          <Profile accounts={accounts} api={api} token={session.token} user={me} onSaved={myself} onClose={closeProfile} />
        </main>
      ) : (
      <main class="panes">
        <div class="list-pane">
          <ConversationList client={client} openFriendId={state.openFriendId} onOpen={(id, name) => client.open(id, name)} />
          <Contacts accounts={accounts} token={session.token} me={session.userId} onPick={(id, name) => client.open(id, name)} />
          <FriendPicker me={session.userId} devUsers={devUsers} onRefreshUsers={onRefreshUsers} onPick={(id, name) => client.open(id, name)} />
        </div>
        {open ? (
          <ConversationView
            key={state.openFriendId}
            client={client}
            store={open}
            onBack={back}
            actions={
              <div class="block-state">
                {blocked.has(state.openFriendId!) && <p class="blocked-note" role="status">You blocked this user: their messages do not reach you.</p>}
                {blockError && (
                  <p class="error" role="alert">
                    {blockError}
                  </p>
                )}
                <button type="button" class="secondary" aria-pressed={blocked.has(state.openFriendId!)} onClick={() => toggleBlock(state.openFriendId!)}>
                  {blocked.has(state.openFriendId!) ? 'Unblock' : 'Block'}
                </button>
              </div>
            }
          />
        ) : (
          <p class="empty-pane muted">Choose a conversation, or start one.</p>
        )}
      </main>
      )}
    </div>
  );
}
