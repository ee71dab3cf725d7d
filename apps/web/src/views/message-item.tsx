import { useState } from 'preact/hooks';
import { imageUrlOf } from '../protocol/image-links';
import type { ChatMessage } from '../store/conversation.state';

interface Props {
  message: ChatMessage;
  mine: boolean;
  onRetry: (clientMsgId: string) => void;
  onDiscard: (clientMsgId: string) => void;
}

const STATUS_TEXT: Record<ChatMessage['status'], string> = {
  sending: 'sending',
  sent: 'sent',
  failed: 'not sent',
  received: '',
};

const TICK: Record<ChatMessage['status'], string> = { sending: '…', sent: '✓', failed: '!', received: '' };

export function MessageItem({ message, mine, onRetry, onDiscard }: Props) {
  const image = imageUrlOf(message.text);
  const [broken, setBroken] = useState(false);
  const who = mine ? 'You' : message.sender;
  return (
    <li class={`message ${mine ? 'mine' : 'theirs'}`} data-status={message.status} data-id={message.id} data-client-msg-id={message.clientMsgId}>
      <span class="visually-hidden">{who}: </span>
      <div class="bubble">
        {image && !broken ? (
          <a href={image} target="_blank" rel="noopener noreferrer" class="image-link">
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
            <span class="tick" data-tick={message.status} aria-label={STATUS_TEXT[message.status]} title={STATUS_TEXT[message.status]}>
              {TICK[message.status]}
            </span>
          )}
        </span>
      </div>
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
