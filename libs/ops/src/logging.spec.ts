import { redactUrl } from './logging';

describe('redactUrl', () => {
  it('hides tokens in query strings, wherever they stand', () => {
    expect(redactUrl('/chat/5?token=eyJabc.def.ghi')).toBe('/chat/5?token=[redacted]');
    expect(redactUrl('/x?a=1&token=secret&b=2')).toBe('/x?a=1&token=[redacted]&b=2');
    expect(redactUrl('/x?TOKEN=secret')).toBe('/x?TOKEN=[redacted]');
    expect(redactUrl('/chat_message/get_Message_History.do')).toBe('/chat_message/get_Message_History.do');
  });
});
