import { ErrorCode as CommonErrorCode } from '@app/common';
import { TOKEN_PROTOCOL_PREFIX as AUTH_TOKEN_PREFIX } from '@app/auth';
import { ChatConfig } from '@app/config';
import { CHAT_V2_PROTOCOL, ErrorCode, READ_ERROR_CODES, RETRYABLE_ERROR_CODES, TEXT_MAX_LENGTH, TOKEN_PROTOCOL_PREFIX } from '.';

// The server and the web client build from this one module: each side's name for a constant is
// this module's value, not a copy of it (the web client's side: apps/web/src/protocol/frames.spec.ts;
// the gateway re-exports CHAT_V2_PROTOCOL from here in protocol/events.ts).

describe('protocol constants', () => {
  it('are the ones the libs use', () => {
    expect(CommonErrorCode).toBe(ErrorCode);
    expect(AUTH_TOKEN_PREFIX).toBe(TOKEN_PROTOCOL_PREFIX);
    expect(new ChatConfig().textMaxLength).toBe(TEXT_MAX_LENGTH);
  });

  it('keep the values the protocol documents', () => {
    expect(CHAT_V2_PROTOCOL).toBe('chat.v2');
    expect(TOKEN_PROTOCOL_PREFIX).toBe('chat.token.');
    expect(TEXT_MAX_LENGTH).toBe(500);
    expect([...READ_ERROR_CODES]).toEqual(['READ_PAST_END', 'NOT_IN_CONVERSATION']);
    expect([...RETRYABLE_ERROR_CODES]).toEqual(['RATE_LIMITED', 'STORE_UNAVAILABLE', 'INTERNAL']);
  });
});
