/**
 * POSTs a form the way the apps call the `.do` endpoints: the `token` header and an urlencoded
 * body. Resolves with the HTTP status and the parsed JSON answer.
 */
export async function postForm<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  token: string,
  form: Record<string, string | number>,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { token, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(Object.entries(form).map(([k, v]) => [k, String(v)])).toString(),
  });
  return { status: res.status, body: (await res.json()) as T };
}
