import { useRef, useState } from 'preact/hooks';
import { imageUrlOf } from '../protocol/image-links';
import type { ChatMessage, Tick } from '../store/conversation.state';
import { ImageViewer } from './image-viewer';

interface Props {
  message: ChatMessage;
  mine: boolean;
  tick: Tick;
  onRetry: (clientMsgId: string) => void;
  onDiscard: (clientMsgId: string) => void;
}

const TICK_TEXT: Record<Tick, string> = { sending: 'sending', sent: 'sent', delivered: 'delivered', read: 'read', failed: 'not sent' };

const TICK: Record<Tick, string> = { sending: '…', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

export function MessageItem({ message, mine, tick, onRetry, onDiscard }: Props) {
  const image = imageUrlOf(message.text);
  const [broken, setBroken] = useState(false);
  const [viewing, setViewing] = useState(false);
  const opener = useRef<HTMLAnchorElement>(null);
  const who = mine ? 'You' : message.sender;
  return (
    <li class={`message ${mine ? 'mine' : 'theirs'}`} data-status={message.status} data-id={message.id} data-seq={message.seq} data-client-msg-id={message.clientMsgId} data-tick={mine ? tick : undefined}>
      <span class="visually-hidden">{who}: </span>
      <div class="bubble">
        {image && !broken ? (
          // A link to the full size that opens the viewer (a new tab with a modifier key or the menu).
          <a
            ref={opener}
            href={image}
            target="_blank"
            rel="noopener noreferrer"
            class="image-link"
            aria-haspopup="dialog"
            onClick={(e) => {
              if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
              e.preventDefault();
              setViewing(true);
            }}
          >
            <img src={image} alt={`Image from ${who}`} loading="lazy" onError={() => setBroken(true)} />
          </a>
        ) : (
          <p class="text" dir="auto">
            {message.text}
          </p>
        )}
        <span class="meta">
          {message.time && (
            <time dateTime={message.time.replace(' ', 'T')} title={message.time}>
              {message.time.slice(11, 16)}
            </time>
          )}
          {mine && (
            <span class="tick" data-tick={tick} role="img" aria-label={TICK_TEXT[tick]} title={TICK_TEXT[tick]}>
              {TICK[tick]}
            </span>
          )}
        </span>
      </div>
      {viewing && image && (
        <ImageViewer
          src={image}
          alt={`Image from ${who}`}
          onClose={() => {
            setViewing(false);
            // Once the dialog has gone (nothing outside a modal dialog takes focus).
            requestAnimationFrame(() => opener.current?.focus());
          }}
        />
      )}
      {message.status === 'failed' && message.clientMsgId && (
        <div class="failure" role="alert">
          <span>{message.error ?? 'Not sent.'}</span>
          {message.retryable && (
            <button type="button" class="link-button" onClick={() => onRetry(message.clientMsgId!)}>
              Retry
            </button>
          )}
          <button type="button" class="link-button" onClick={() => onDiscard(message.clientMsgId!)}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
