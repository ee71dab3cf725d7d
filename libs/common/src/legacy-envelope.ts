/** The legacy HTTP envelope: status 0 with data, or status 1 with a message, always HTTP 200. */
export type LegacyOk<T> = { status: 0; data: T };
export type LegacyFail = { status: 1; msg: string };

export const ok = <T>(data: T): LegacyOk<T> => ({ status: 0, data });
export const fail = (msg: string): LegacyFail => ({ status: 1, msg });

/** Success with a message the apps show (the account paths: `登录成功`, `关注成功`...), data optional. */
export type LegacyOkMsg<T> = { status: 0; msg: string; data?: T };
export const okMsg = <T>(msg: string, data?: T): LegacyOkMsg<T> => (data === undefined ? { status: 0, msg } : { status: 0, msg, data });
