import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { ChatClient } from '../chat/chat-client';
import type { ConversationState } from '../store/conversation.state';
import type { Store } from '../store/store';
import { Composer } from './composer';
import { MessageItem } from './message-item';
import { useStore } from './use-store';

interface Props {
  client: ChatClient;
  store: Store<ConversationState>;
  onBack: () => void;
}

export function ConversationView({ client, store, onBack }: Props) {
  const state = useStore(store);
  const list = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLLIElement>(null);
  // Distance from the bottom before an update: kept when older messages come in above,
  // zero (follow the newest) when the reader was at the bottom.
  const fromBottom = useRef(0);

  const onScroll = () => {
    const el = list.current;
    if (el) fromBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight;
  };

  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    const last = state.messages[state.messages.length - 1];
    const follow = fromBottom.current < 48 || (last && last.senderId === state.me && last.status === 'sending');
    el.scrollTop = follow ? el.scrollHeight : el.scrollHeight - el.clientHeight - fromBottom.current;
    onScroll();
  }, [state.messages]);

  // Scrolling to the top loads older messages (the button does the same from the keyboard).
  useEffect(() => {
    const sentinel = top.current;
    if (!sentinel || !state.hasOlder || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void client.loadOlder(state.friendId);
    });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [state.hasOlder, state.loadingOlder, state.friendId]);

  return (
    <main class="conversation" aria-labelledby="conversation-title">
      <header class="conversation-header">
        <button type="button" class="secondary" onClick={onBack} aria-label="Back to choosing a conversation">
          ←
        </button>
        <h1 id="conversation-title">{state.friendName}</h1>
        <span class="muted">#{state.friendId}</span>
      </header>
      <div
        ref={list}
        class="messages"
        role="log"
        aria-live="polite"
        aria-busy={state.loadingOlder || state.history === 'loading'}
        aria-label={`Messages with ${state.friendName}`}
        tabIndex={0}
        onScroll={onScroll}
      >
        <ol class="message-list">
          <li ref={top} class="history-edge">
            {state.history === 'loading' && <span>Loading messages…</span>}
            {state.history === 'error' && <span class="error">Could not load messages: {state.error}</span>}
            {state.history === 'loaded' &&
              (state.hasOlder ? (
                <button type="button" class="link-button" disabled={state.loadingOlder} onClick={() => void client.loadOlder(state.friendId)}>
                  {state.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
                </button>
              ) : (
                <span class="muted">{state.messages.length ? 'Beginning of the conversation' : 'No messages yet: say hello.'}</span>
              ))}
          </li>
          {state.messages.map((m) => (
            <MessageItem
              key={m.key}
              message={m}
              mine={m.senderId === state.me}
              onRetry={(id) => client.retry(id)}
              onDiscard={(id) => client.discard(id)}
            />
          ))}
        </ol>
      </div>
      <Composer friendName={state.friendName} onSend={(text) => client.send(text)} onUpload={(file) => client.upload(file)} />
    </main>
  );
}
