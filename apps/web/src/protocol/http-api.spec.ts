import { ApiError, HttpApi } from './http-api';

// The HTTP side as the server sees it: paths, parameters, the token header, the legacy envelope.

function recording(answer: object) {
  const calls: { url: URL; init?: RequestInit }[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: new URL(String(input), 'http://host'), init });
    return new Response(JSON.stringify(answer), { status: 200 });
  }) as typeof fetch;
  return { api: new HttpApi('', fetchFn), calls };
}

describe('HttpApi (protocol v2)', () => {
  it('reads a page of the conversation list with the cursor of the previous one', async () => {
    const page = { list: [{ friendId: 2, friendName: '小红', unread: 1, readSeq: 0, friendReadSeq: 0 }], nextCursor: 'YzEuNA', totalUnread: 1 };
    const { api, calls } = recording({ status: 0, data: page });
    expect(await api.conversations('t', { limit: 20, cursor: 'abc' })).toEqual(page);
    expect(calls[0].url.pathname).toBe('/chat_message/get_Conversation_List.do');
    expect(Object.fromEntries(calls[0].url.searchParams)).toEqual({ limit: '20', cursor: 'abc' });
    expect(calls[0].init?.headers).toEqual({ token: 't' });
  });

  it('takes a user without conversations as an empty list', async () => {
    const { api, calls } = recording({ status: 0, data: { list: [], nextCursor: null, totalUnread: 0 } });
    expect(await api.conversations('t', { limit: 20, cursor: null })).toEqual({ list: [], nextCursor: null, totalUnread: 0 });
    expect(calls[0].url.searchParams.has('cursor')).toBe(false);
  });

  it('reports a read position as a form POST, and surfaces a refusal', async () => {
    const ok = recording({ status: 0, data: { friendId: 2, readSeq: 7, unread: 0 } });
    expect(await ok.api.markRead('t', 2, 7)).toEqual({ friendId: 2, readSeq: 7, unread: 0 });
    expect(ok.calls[0].url.pathname).toBe('/chat_message/mark_Read.do');
    expect(ok.calls[0].init).toMatchObject({ method: 'POST', body: 'friendId=2&seq=7' });
    const refused = recording({ status: 1, msg: '已读位置超出会话末尾' });
    await expect(refused.api.markRead('t', 2, 99)).rejects.toEqual(new ApiError('已读位置超出会话末尾'));
  });

  it('reads a proxy\'s HTML 413 as a file too large, and any other page as an unexpected answer', async () => {
    const answering = (status: number) => new HttpApi('', (async () => new Response('<html>413 Request Entity Too Large</html>', { status })) as typeof fetch);
    await expect(answering(413).upload('t', new Blob(['x']), 'a.png')).rejects.toMatchObject({ message: expect.stringMatching(/^图片太大/), httpStatus: 413 });
    await expect(answering(502).upload('t', new Blob(['x']), 'a.png')).rejects.toMatchObject({ message: 'unexpected answer (HTTP 502)', httpStatus: 502 });
  });
});
