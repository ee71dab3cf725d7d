import { extractSocketToken, extractToken } from './token-extract';

describe('extractSocketToken', () => {
  it('reads a chat.token.<jwt> subprotocol offered beside chat.v2', () => {
    expect(extractSocketToken({ 'sec-websocket-protocol': 'chat.v2, chat.token.aaa.bbb.ccc' })).toBe('aaa.bbb.ccc');
    expect(extractSocketToken({ 'sec-websocket-protocol': 'chat.token.x.y.z' })).toBe('x.y.z');
  });

  it('prefers the headers, then the subprotocol, then ?token=', () => {
    const query = new URLSearchParams('token=from-query');
    expect(extractSocketToken({ token: 'from-header', 'sec-websocket-protocol': 'chat.token.p' }, query)).toBe('from-header');
    expect(extractSocketToken({ 'sec-websocket-protocol': 'chat.token.p' }, query)).toBe('p');
    expect(extractSocketToken({ 'sec-websocket-protocol': 'chat.v2' }, query)).toBe('from-query');
    expect(extractSocketToken({ 'sec-websocket-protocol': 'chat.token.' })).toBeUndefined();
  });

  it('is not read by HTTP requests', () => {
    expect(extractToken({ 'sec-websocket-protocol': 'chat.token.p' })).toBeUndefined();
  });
});
