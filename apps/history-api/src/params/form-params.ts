import { DomainError, ErrorCode } from '@app/common';

// Form and query parameters as the legacy server (Spring's @RequestParam) read them, refused with
// a reason instead of a stack trace. Every endpoint of the history API reads its parameters here.

/** The query string and the form body as objects (Express gives both; the old server merged them). */
export function formObjects(sources: readonly unknown[]): Record<string, unknown>[] {
  return sources.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s));
}

export const invalid = (message: string) => new DomainError(ErrorCode.InvalidParameter, message);

const shown = (v: string) => JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v);

/**
 * One parameter as a single scalar, or undefined when absent. Express hands repeated fields over
 * as arrays and bracketed ones (`pageNum[]=1`, `pageNum[a]=1`) as arrays, objects or odd keys:
 * all of them are refused rather than guessed at.
 */
export function single(sources: Record<string, unknown>[], name: string): string | number | undefined {
  const found: unknown[] = [];
  for (const source of sources) {
    for (const key of Object.keys(source)) {
      if (key === name) found.push(source[key]);
      else if (key.startsWith(`${name}[`)) found.push([source[key]]);
    }
  }
  if (found.length === 0) return undefined;
  const value = found[0];
  if (found.length > 1 || Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    throw invalid(`参数 ${name} 只能出现一次且不能是数组 (${name} must be given once, as a single value, not repeated or as an array)`);
  }
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value === null || value === undefined) return undefined;
  throw invalid(`参数 ${name} 必须是整数 (${name} must be a whole number)`);
}

/**
 * A whole number in [min, max]. Blank counts as absent, as Spring's @RequestParam(defaultValue)
 * treated it; surrounding spaces are ignored as Spring's number conversion did.
 */
export function integer(sources: Record<string, unknown>[], name: string, min: number, max: number, why = ''): number | undefined {
  const raw = single(sources, name);
  if (raw === undefined) return undefined;
  let value: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw invalid(`参数 ${name} 必须是整数 (${name} must be a whole number, got ${raw})`);
    value = raw;
  } else {
    const text = raw.trim();
    if (text === '') return undefined;
    if (!/^\+?\d+$/.test(text) && !/^-\d+$/.test(text)) {
      throw invalid(`参数 ${name} 必须是整数 (${name} must be a whole number, got ${shown(raw)})`);
    }
    // Beyond 15 digits Number() rounds; such values are out of range whatever they are.
    value = text.replace(/^[+-]?0*/, '').length > 15 ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
  }
  if (value < min || value > max) {
    throw invalid(`参数 ${name} 必须在 ${min} 到 ${max} 之间 (${name} must be between ${min} and ${max}${why})`);
  }
  return value;
}

