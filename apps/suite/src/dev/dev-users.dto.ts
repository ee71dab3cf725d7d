import { DomainError, ErrorCode } from '@app/common';

export const DEV_LIST_DEFAULT = 50;
export const DEV_LIST_MAX = 200;

export interface NewUserRequest {
  phone: string;
  name?: string;
}

function field(source: unknown, name: string): string | undefined {
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[name] : undefined;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new DomainError(ErrorCode.InvalidParameter, `参数 ${name} 必须是字符串 (${name} must be a single value)`);
  return value.trim() || undefined;
}

/** `phone` (required) and `name` (optional), from a form or JSON body. */
export function parseNewUser(body: unknown): NewUserRequest {
  const phone = field(body, 'phone');
  if (!phone) throw new DomainError(ErrorCode.InvalidParameter, '缺少参数 phone (phone is required)');
  const name = field(body, 'name');
  if (name !== undefined && [...name].length > 50) {
    throw new DomainError(ErrorCode.InvalidParameter, '名字太长 (name must be at most 50 characters)');
  }
  return { phone, name };
}

export function parseUserIdParam(value: string): number {
  const id = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new DomainError(ErrorCode.InvalidParameter, `用户 id 必须是正整数 (user id must be a positive integer, got "${value}")`);
  return id;
}

export function parseListLimit(query: unknown): number {
  const raw = field(query, 'limit');
  if (raw === undefined) return DEV_LIST_DEFAULT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= DEV_LIST_MAX)) {
    throw new DomainError(ErrorCode.InvalidParameter, `参数 limit 必须在 1 到 ${DEV_LIST_MAX} 之间 (limit must be between 1 and ${DEV_LIST_MAX})`);
  }
  return limit;
}
