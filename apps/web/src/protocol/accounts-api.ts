// The legacy account paths (CONTRACT section 6) as the web client uses them: sign in with phone
// and password, register. Legacy envelope: {"status":0,"msg","data"} | {"status":1,"msg"}.

export interface SignedInUser {
  id: number;
  name: string;
  img?: string;
  msg?: string;
}

/** Someone in a list (friends, search, blocked): never a phone. */
export interface UserCard {
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

  /** The signed-in user as the server has them (name, signature, avatar). */
  me(token: string): Promise<SignedInUser> {
    return this.post<SignedInUser>('/user/get_user_info.do', {}, token);
  }

  /** Name, signature (`msg`) and avatar (`img`: the `uri` of the user's own upload). */
  async updateMe(token: string, fields: { name?: string; msg?: string; img?: string }): Promise<void> {
    await this.post('/user/update_user_info.do', Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>, token, false);
  }

  /** Another user's card as the server has it (get_detail.do). */
  detail(token: string, friendId: number): Promise<UserCard> {
    return this.post<UserCard>('/friend/get_detail.do', { friendId: String(friendId) }, token);
  }

  /** The users this user follows; none is an answer of its own (好友数量为零). */
  async following(token: string): Promise<UserCard[]> {
    const body = await this.raw<UserCard[]>('/friend/get_list.do', {}, token);
    return body.status === 0 && Array.isArray(body.data) ? body.data : [];
  }

  async follow(token: string, friendId: number): Promise<void> {
    await this.post('/friend/concern.do', { friendId: String(friendId) }, token, false);
  }

  async unfollow(token: string, friendId: number): Promise<void> {
    await this.post('/friend/unconcern.do', { friendId: String(friendId) }, token, false);
  }

  /** An exact phone number or the start of a name. */
  search(token: string, q: string): Promise<UserCard[]> {
    return this.post<UserCard[]>('/user/search.do', { q }, token);
  }

  async block(token: string, userId: number): Promise<void> {
    await this.post('/user/block.do', { userId: String(userId) }, token, false);
  }

  async unblock(token: string, userId: number): Promise<void> {
    await this.post('/user/unblock.do', { userId: String(userId) }, token, false);
  }

  blocked(token: string): Promise<UserCard[]> {
    return this.post<UserCard[]>('/user/block_List.do', {}, token);
  }

  private async raw<T>(path: string, form: Record<string, string>, token?: string): Promise<{ status?: number; msg?: string; data?: T; http: number }> {
    const res = await this.fetchFn(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(token ? { token } : {}) },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { status?: number; msg?: string; data?: T };
    return { ...body, http: res.status };
  }

  private async post<T>(path: string, form: Record<string, string>, token?: string, needsData = true): Promise<T> {
    const body = await this.raw<T>(path, form, token);
    if (body.status === 0 && (body.data !== undefined || !needsData)) return body.data as T;
    throw new Error(body.msg ?? `unexpected answer (HTTP ${body.http})`);
  }
}
