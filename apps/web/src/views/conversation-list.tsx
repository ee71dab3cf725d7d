import { useRef } from 'preact/hooks';
import type { ChatClient } from '../chat/chat-client';
import { imageUrlOf } from '../protocol/image-links';
import { serverDate, shortTime } from '../protocol/server-clock';
import type { ConversationSummary } from '../protocol/http-api';
import { totalUnread } from '../store/conversation-list.state';
import { useStore } from './use-store';

interface Props {
  client: ChatClient;
  openFriendId: number | null;
  onOpen: (friendId: number, name: string) => void;
}

function preview(c: ConversationSummary, me: number): string {
  const m = c.lastMessage;
  if (!m) return '';
  const text = imageUrlOf(m.text) ? '🖼 Image' : m.text;
  return m.senderId === me ? `You: ${text}` : text;
}

/**
 * The conversations, most recent first, with unread badges, the last message and its time;
 * live from the frames between two reads of the list. Arrow keys, Home and End move between them.
 */
export function ConversationList({ client, openFriendId, onOpen }: Props) {
  const list = useStore(client.list);
  const ul = useRef<HTMLUListElement>(null);
  const total = totalUnread(list);
  const today = serverDate(Date.now(), useStore(client.state).serverOffsetMinutes);

  const onKeyDown = (e: KeyboardEvent) => {
    const buttons = [...(ul.current?.querySelectorAll<HTMLButtonElement>('button.conversation-item') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const to = e.key === 'ArrowDown' ? at + 1 : e.key === 'ArrowUp' ? at - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    buttons[Math.max(0, Math.min(buttons.length - 1, to))]?.focus();
  };

  return (
    <section class="conversation-list" aria-labelledby="conversations-heading">
      <h2 id="conversations-heading">
        Conversations
        {total > 0 && (
          <span class="badge total" data-unread={total}>
            {total}
            <span class="visually-hidden"> unread</span>
          </span>
        )}
      </h2>
      {list.status === 'loading' && !list.items.length && <p class="muted">Loading conversations…</p>}
      {list.status === 'error' && !list.items.length && (
        <p class="error">
          Could not load the conversations: {list.error}{' '}
          <button type="button" class="link-button" onClick={() => void client.loadList()}>
            Try again
          </button>
        </p>
      )}
      {list.status === 'loaded' && !list.items.length && <p class="muted">No conversations yet: start one below.</p>}
      {list.items.length > 0 && (
        <ul ref={ul} class="conversation-items" onKeyDown={onKeyDown}>
          {list.items.map((c) => (
            <li key={c.friendId}>
              <button
                type="button"
                class="conversation-item"
                data-friend-id={c.friendId}
                data-unread={c.unread}
                aria-current={c.friendId === openFriendId ? 'true' : undefined}
                onClick={() => onOpen(c.friendId, c.friendName)}
              >
                <span class="avatar" aria-hidden="true">
                  {c.friendImg ? <img src={c.friendImg} alt="" /> : [...c.friendName][0]}
                </span>
                <span class="item-name" dir="auto">
                  {c.friendName}
                </span>
                {c.lastMessage && (
                  <time class="item-time muted" dateTime={c.lastMessage.time.replace(' ', 'T')} title={c.lastMessage.time}>
                    {shortTime(c.lastMessage.time, today)}
                  </time>
                )}
                <span class="item-preview muted" dir="auto">
                  {preview(c, list.me)}
                </span>
                {c.unread > 0 && (
                  <span class="badge" data-unread={c.unread}>
                    {c.unread > 99 ? '99+' : c.unread}
                    <span class="visually-hidden"> unread</span>
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
      {list.nextCursor && (
        <button type="button" class="link-button more" disabled={list.loadingMore} onClick={() => void client.loadMoreConversations()}>
          {list.loadingMore ? 'Loading…' : 'More conversations'}
        </button>
      )}
    </section>
  );
}
