/** Limits of the JSON and form body parsers every app registers (see createApp). */
export const BODY_LIMITS = {
  /** Bytes of a JSON or form body, after decompression. */
  bytes: 100 * 1024,
  /** Fields of a form body. */
  parameters: 1000,
  /** Nesting of a form field name such as a[b][c]. */
  depth: 32,
} as const;

export interface RefusedBody {
  /** body-parser's error type (or `encoding.invalid` for bytes the decompressor refused). */
  kind: string;
  /** For the client: what was wrong and the limit, Chinese first as the legacy messages. */
  reason: string;
}

/** What body-parser and raw-body put on the errors they pass on (http-errors), and zlib's. */
interface ParserError {
  type?: unknown;
  status?: unknown;
  limit?: unknown;
  encoding?: unknown;
  charset?: unknown;
  code?: unknown;
  errno?: unknown;
}

/** A header value as it may be echoed: printable ASCII, short. */
const shown = (value: unknown): string => String(value ?? '').replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'").slice(0, 40);

/**
 * The client's mistake behind an error of Express's body parsers, which refuse a body before any
 * guard or controller runs; null for any other error.
 */
export function describeBodyError(error: unknown): RefusedBody | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as ParserError;
  // http-errors always carries the status; 5xx (a parser misconfigured) is ours, not the client's.
  if (typeof e.status !== 'number' || e.status >= 500) return null;
  switch (e.type) {
    case 'entity.too.large':
      return {
        kind: e.type,
        reason: `请求体过大 (request body too large: at most ${typeof e.limit === 'number' ? e.limit : BODY_LIMITS.bytes} bytes)`,
      };
    case 'parameters.too.many':
      return { kind: e.type, reason: `参数过多 (too many parameters: at most ${BODY_LIMITS.parameters})` };
    case 'querystring.parse.rangeError':
      return { kind: e.type, reason: `参数嵌套过深 (parameter names nested too deep: at most ${BODY_LIMITS.depth} levels)` };
    case 'encoding.unsupported':
      return {
        kind: e.type,
        reason: `不支持的内容编码 (unsupported Content-Encoding "${shown(e.encoding)}": use gzip, deflate, br or none)`,
      };
    case 'charset.unsupported':
      return { kind: e.type, reason: `不支持的字符集 (unsupported charset "${shown(e.charset).toUpperCase()}": use utf-8)` };
    case 'entity.parse.failed':
      // Only the JSON parser throws this; form bodies always parse.
      return { kind: e.type, reason: '请求体格式错误 (malformed request body: not valid JSON)' };
    case 'request.aborted':
    case 'request.size.invalid':
      return { kind: e.type, reason: '请求体不完整 (request body shorter or longer than its Content-Length)' };
  }
  // The decompressor refusing the bytes of a body sent with Content-Encoding gzip, deflate or br.
  if (e.type === undefined && typeof e.errno === 'number' && typeof e.code === 'string' && /^(Z_|ERR__ERROR)/.test(e.code)) {
    return { kind: 'encoding.invalid', reason: '请求体无法解压 (request body does not match its Content-Encoding: not valid gzip, deflate or br data)' };
  }
  return null;
}
