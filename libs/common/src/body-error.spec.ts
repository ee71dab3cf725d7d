import { gunzipSync } from 'node:zlib';
import { describeBodyError } from './body-error';

/** An error as http-errors builds it for body-parser: the status and properties on an Error. */
const createError = (status: number, cause: string | Error, props: Record<string, unknown> = {}) =>
  Object.assign(typeof cause === 'string' ? new Error(cause) : cause, { status, statusCode: status, ...props });

describe('describeBodyError', () => {
  it('names the limit of a body too large, from the parser when it says', () => {
    expect(describeBodyError(createError(413, 'request entity too large', { type: 'entity.too.large', limit: 2048 }))).toEqual({
      kind: 'entity.too.large',
      reason: '请求体过大 (request body too large: at most 2048 bytes)',
    });
  });

  it('echoes an unknown encoding only as short printable text', () => {
    const refused = describeBodyError(createError(415, 'x', { type: 'encoding.unsupported', encoding: `"é\n${'z'.repeat(100)}` }));
    expect(refused?.reason).toMatch(/^不支持的内容编码 \(unsupported Content-Encoding "'\?\?z{37}": use gzip/);
  });

  it('recognises the decompressor refusing the bytes, as body-parser passes it on', () => {
    let zlibError: unknown;
    try {
      gunzipSync(Buffer.from('plain text'));
    } catch (e) {
      zlibError = e;
    }
    expect(describeBodyError(createError(400, zlibError as Error))).toMatchObject({ kind: 'encoding.invalid' });
  });

  it('leaves other errors alone', () => {
    expect(describeBodyError(new Error('boom'))).toBeNull();
    expect(describeBodyError(createError(500, 'stream encoding should not be set', { type: 'stream.encoding.set' }))).toBeNull();
    expect(describeBodyError({ status: 400, type: 'something.else' })).toBeNull();
    expect(describeBodyError('text')).toBeNull();
  });
});
