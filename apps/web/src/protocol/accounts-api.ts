// The legacy account paths (CONTRACT section 6) as the web client uses them: sign in with phone
// and password, register. Legacy envelope: {"status":0,"msg","data"} | {"status":1,"msg"}.

export interface SignedInUser {
  id: number;
  name: string;
  img?: string;
}

export interface SignInAnswer {
  user: SignedInUser;
  token: string;
}

type Fetch = typeof fetch;

export class AccountsApi {
  constructor(
    private readonly base = '',
    private readonly fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  login(phone: string, password: string): Promise<SignInAnswer> {
    return this.post<SignInAnswer>('/user/login.do', { phoneNumber: phone, password });
  }

  register(phone: string, password: string, msgCode?: string): Promise<SignInAnswer> {
    return this.post<SignInAnswer>('/user/register.do', { phone, password, ...(msgCode ? { msgCode } : {}) });
  }

  private async post<T>(path: string, form: Record<string, string>): Promise<T> {
    const res = await this.fetchFn(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { status?: number; msg?: string; data?: T };
    if (body.status === 0 && body.data) return body.data;
    throw new Error(body.msg ?? `unexpected answer (HTTP ${res.status})`);
  }
}
