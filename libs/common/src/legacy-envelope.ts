/** The legacy HTTP envelope: status 0 with data, or status 1 with a message, always HTTP 200. */
export type LegacyOk<T> = { status: 0; data: T };
export type LegacyFail = { status: 1; msg: string };

export const ok = <T>(data: T): LegacyOk<T> => ({ status: 0, data });
export const fail = (msg: string): LegacyFail => ({ status: 1, msg });
