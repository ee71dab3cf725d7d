import { useEffect, useMemo } from 'preact/hooks';
import { Attention } from '../alerts/attention';
import type { ChatClient } from '../chat/chat-client';
import type { Session } from '../chat/session';
import type { UserSummary } from '../protocol/http-api';
import { AlertsButton } from './alerts-button';
import { ConnectionBanner } from './connection-banner';
import { totalUnread } from '../store/conversation-list.state';
import { ConversationList } from './conversation-list';
import { ConversationView } from './conversation-view';
import { FriendPicker } from './friend-picker';
import { useStore } from './use-store';

interface Props {
  client: ChatClient;
  session: Session;
  devUsers: UserSummary[] | null;
  onRefreshUsers: () => Promise<UserSummary[] | null>;
  onSignOut: (because?: string) => void;
}

export function ChatShell({ client, session, devUsers, onRefreshUsers, onSignOut }: Props) {
  const state = useStore(client.state);
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
          {session.name ?? `User ${session.userId}`} <span class="muted">#{session.userId}</span>
        </span>
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
      <main class="panes">
        <div class="list-pane">
          <ConversationList client={client} openFriendId={state.openFriendId} onOpen={(id, name) => client.open(id, name)} />
          <FriendPicker me={session.userId} devUsers={devUsers} onRefreshUsers={onRefreshUsers} onPick={(id, name) => client.open(id, name)} />
        </div>
        {open ? (
          <ConversationView key={state.openFriendId} client={client} store={open} onBack={back} />
        ) : (
          <p class="empty-pane muted">Choose a conversation, or start one.</p>
        )}
      </main>
    </div>
  );
}
