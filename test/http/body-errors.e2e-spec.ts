import { Logger } from '@nestjs/common';
import { gzipSync } from 'node:zlib';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';

const HISTORY = '/chat_message/get_Message_History.do';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/**
 * Bodies the parsers refuse before any guard runs: each gets the legacy envelope (HTTP 200) with
 * a reason naming the limit, and one warn line in the log, never an error with a stack trace.
 */
describe('request bodies refused by the parsers', () => {
  const sqlite = tempSqlite();
  let suite: TestApp;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  const post = async (body: string | Buffer, headers: Record<string, string>) => {
    const res = await fetch(`${suite.httpUrl}${HISTORY}`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as { status: number; msg?: string } };
  };

  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: sqlite.url });
  });
  afterAll(async () => {
    await suite?.close();
    sqlite.remove();
  });
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    error = jest.spyOn(Logger.prototype, 'error');
  });
  afterEach(() => jest.restoreAllMocks());

  /** Exactly one warn line about the refused body, and nothing at error level. */
  function expectOneWarnLine(kind: RegExp) {
    expect(error).not.toHaveBeenCalled();
    const lines = warn.mock.calls.map((args: unknown[]) => String(args[0]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(kind);
    expect(lines[0]).not.toMatch(/\n|\bat \S+ \(/);
  }

  it.each([
    ['a 2 MB form', 'x='.concat('a'.repeat(2 * 1024 * 1024)), FORM],
    ['a 2 MB JSON body', JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }), JSON_TYPE],
  ])('answers %s with the size limit', async (_name, body, type) => {
    const res = await post(body, { 'Content-Type': type });
    expect(res).toEqual({ status: 200, body: { status: 1, msg: expect.stringMatching(/请求体过大.*at most 102400 bytes/) } });
    expectOneWarnLine(/entity\.too\.large/);
  });

  it('answers a gzip body that inflates past the limit with the size limit', async () => {
    const bomb = gzipSync(Buffer.from('x='.concat('a'.repeat(4 * 1024 * 1024))));
    const res = await post(bomb, { 'Content-Type': FORM, 'Content-Encoding': 'gzip' });
    expect(res.body).toEqual({ status: 1, msg: expect.stringMatching(/at most 102400 bytes/) });
    expectOneWarnLine(/entity\.too\.large/);
  });

  it('answers 1,001 form parameters with the parameter limit', async () => {
    const body = Array.from({ length: 1001 }, (_, i) => `p${i}=1`).join('&');
    const res = await post(body, { 'Content-Type': FORM });
    expect(res).toEqual({ status: 200, body: { status: 1, msg: expect.stringMatching(/参数过多.*at most 1000/) } });
    expectOneWarnLine(/parameters\.too\.many/);
  });

  it('still takes 1,000 parameters (and then asks for the token)', async () => {
    const body = Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&');
    expect(await post(body, { 'Content-Type': FORM })).toEqual({ status: 200, body: { status: 1, msg: '用户未登录' } });
  });

  it('answers a body that is not the gzip its Content-Encoding says', async () => {
    const res = await post('pageNum=1&friendId=2', { 'Content-Type': FORM, 'Content-Encoding': 'gzip' });
    expect(res).toEqual({ status: 200, body: { status: 1, msg: expect.stringMatching(/请求体无法解压.*gzip/) } });
    expectOneWarnLine(/encoding\.invalid/);
  });

  it('answers an unknown Content-Encoding, naming the ones it takes', async () => {
    const res = await post('pageNum=1', { 'Content-Type': FORM, 'Content-Encoding': 'x-squeeze' });
    expect(res).toEqual({ status: 200, body: { status: 1, msg: expect.stringMatching(/x-squeeze.*gzip, deflate/) } });
    expectOneWarnLine(/encoding\.unsupported/);
  });

  it('answers malformed JSON', async () => {
    const res = await post('{"pageNum": 1,', { 'Content-Type': JSON_TYPE });
    expect(res).toEqual({ status: 200, body: { status: 1, msg: expect.stringMatching(/请求体格式错误.*JSON/) } });
    expectOneWarnLine(/entity\.parse\.failed/);
  });

  it('answers an unsupported charset', async () => {
    const res = await post('pageNum=1', { 'Content-Type': `${FORM}; charset=klingon` });
    expect(res).toEqual({ status: 200, body: { status: 1, msg: expect.stringMatching(/KLINGON.*utf-8/) } });
    expectOneWarnLine(/charset\.unsupported/);
  });

  it('keeps the connection usable after a refused body', async () => {
    await post('x='.concat('a'.repeat(300 * 1024)), { 'Content-Type': FORM });
    const res = await post('pageNum=1&pageSize=10&friendId=2', { 'Content-Type': FORM });
    expect(res.body).toEqual({ status: 1, msg: '用户未登录' });
  });
});
