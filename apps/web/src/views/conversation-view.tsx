import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatClient } from '../chat/chat-client';
import { ConversationState, isTyping, tickOf } from '../store/conversation.state';
import type { Store } from '../store/store';
import { Composer } from './composer';
import { MessageItem } from './message-item';
import { useStore } from './use-store';

interface Props {
  client: ChatClient;
  store: Store<ConversationState>;
  onBack: () => void;
  /** Shown under the title (block and unblock). */
  actions?: ComponentChildren;
}

export function ConversationView({ client, store, onBack, actions }: Props) {
  const state = useStore(store);
  const list = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLLIElement>(null);
  // Distance from the bottom before an update: kept when older messages come in above,
  // zero (follow the newest) when the reader was at the bottom.
  const fromBottom = useRef(0);
  const seen = useRef<IntersectionObserver | null>(null);
  // Re-rendered when the typing indicator expires.
  const [, setNow] = useState(0);
  const typing = isTyping(state, Date.now());
  useEffect(() => {
    if (!typing || state.typingUntil === undefined) return;
    const t = setTimeout(() => setNow(Date.now()), state.typingUntil - Date.now() + 20);
    return () => clearTimeout(t);
  }, [state.typingUntil]);

  // The friend's messages that come into view (half of one, in a visible tab) are read: the
  // newest position goes to the server (ChatClient throttles it).
  useEffect(() => {
    const root = list.current;
    if (!root || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (document.visibilityState === 'hidden') return;
        let max = 0;
        for (const e of entries) if (e.isIntersecting) max = Math.max(max, Number((e.target as HTMLElement).dataset.seq) || 0);
        if (max > 0) client.markSeen(state.friendId, max);
      },
      { root, threshold: 0.5 },
    );
    seen.current = observer;
    const observeAll = () => root.querySelectorAll('li.message.theirs[data-seq]').forEach((el) => observer.observe(el));
    // Back in a hidden tab: observe afresh, so what is on screen counts now.
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      observer.disconnect();
      observeAll();
    };
    observeAll();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      observer.disconnect();
      seen.current = null;
    };
  }, [state.friendId]);
  useEffect(() => {
    // New messages (live, history): observing one already observed changes nothing.
    list.current?.querySelectorAll('li.message.theirs[data-seq]').forEach((el) => seen.current?.observe(el));
  }, [state.messages]);

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
    <section
      class="conversation"
      aria-labelledby="conversation-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) onBack();
      }}
    >
      <header class="conversation-header">
        <button type="button" class="secondary back" onClick={onBack} aria-label="Back to the conversations" title="Back (Esc)">
          ←
        </button>
        <div class="conversation-title">
          <h1 id="conversation-title" dir="auto">
            {state.friendName}
          </h1>
          <p class="subtitle muted">
            <span class="typing" aria-live="polite">
              {typing ? `${state.friendName} is typing…` : ''}
            </span>
            {!typing && `#${state.friendId}`}
          </p>
        </div>
        {actions}
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
              tick={tickOf(state, m)}
              onRetry={(id) => client.retry(id)}
              onDiscard={(id) => client.discard(id)}
            />
          ))}
        </ol>
      </div>
      <Composer
        friendName={state.friendName}
        onSend={(text) => client.send(text)}
        onTyping={() => client.typing(state.friendId)}
        onUpload={(file, progress) => client.upload(file, progress)}
      />
    </section>
  );
}
