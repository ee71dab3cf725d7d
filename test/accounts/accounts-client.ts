import { createHash } from 'node:crypto';
import sharp from 'sharp';

export type Answer = { status: number; msg?: string; data?: unknown };

/** A legacy `.do` call: urlencoded form, the token raw in the `token` header when given. */
export async function call(baseUrl: string, path: string, form: Record<string, string | number> = {}, token?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(token ? { token } : {}), ...headers },
    body: new URLSearchParams(Object.entries(form).map(([k, v]) => [k, String(v)])).toString(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

/** What the old server wrote in `user.password`: MD5 of password + salt, upper-case hex. */
export const legacyMd5 = (password: string, salt = ''): string => createHash('md5').update(password + salt, 'utf8').digest('hex').toUpperCase();

/** Uploads a small PNG as `token`'s user; answers the upload's `uri`. */
export async function uploadPng(baseUrl: string, token: string): Promise<string> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a7' } }).png().toBuffer();
  const form = new FormData();
  form.append('upload_file', new Blob([png], { type: 'image/png' }), 'a.png');
  const res = await fetch(`${baseUrl}/user/upload.do`, { method: 'POST', headers: { token }, body: form });
  const body = (await res.json()) as { status: number; data: { uri: string } };
  expect(body.status).toBe(0);
  return body.data.uri;
}
