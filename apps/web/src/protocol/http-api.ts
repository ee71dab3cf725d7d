import { readMessage, WireMessage } from './frames';

// The HTTP side: history (cursor form), image upload and, in development mode, the user
// endpoints. Every answer is the legacy envelope {"status":0,"data":..} | {"status":1,"msg":..}.

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status when it was not 200 (404: the endpoint does not exist). */
    readonly httpStatus = 200,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server's answer to a missing, invalid or expired token. */
  get unauthenticated(): boolean {
    return this.message === '用户未登录';
  }
}

export interface HistorySlice {
  list: WireMessage[];
  hasMore: boolean;
  nextBeforeId?: number;
  nextAfterId?: number;
}

/** One entry of get_Conversation_List.do (protocol v2). */
export interface ConversationSummary {
  friendId: number;
  friendName: string;
  friendImg?: string;
  unread: number;
  readSeq: number;
  friendReadSeq: number;
  lastMessage?: { id: number; seq: number; senderId: number; sender: string; text: string; time: string };
}

export interface ConversationPage {
  list: ConversationSummary[];
  nextCursor: string | null;
  totalUnread: number;
}

export interface UserSummary {
  id: number;
  name: string;
}

export interface UploadedImage {
  uri: string;
  url: string;
}

type Fetch = typeof fetch;

export class HttpApi {
  constructor(
    private readonly base = '',
    private readonly fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  /**
   * A slice of the conversation with `friendId`: the newest `limit` (no cursor), older than
   * `beforeId` (newest first), or newer than `afterId` (oldest first).
   */
  async history(token: string, friendId: number, cursor: { beforeId?: number; afterId?: number; limit: number }): Promise<HistorySlice> {
    const q = new URLSearchParams({ friendId: String(friendId), limit: String(cursor.limit) });
    if (cursor.beforeId !== undefined) q.set('beforeId', String(cursor.beforeId));
    if (cursor.afterId !== undefined) q.set('afterId', String(cursor.afterId));
    const data = await this.call<{ list?: unknown[]; hasMore?: boolean; nextBeforeId?: number; nextAfterId?: number }>(
      `/chat_message/get_Message_History.do?${q}`,
      { headers: { token } },
    );
    const list = (data.list ?? []).flatMap((item) => {
      const m = item && typeof item === 'object' ? readMessage(item as Record<string, unknown>) : null;
      return m ? [m] : [];
    });
    return { list, hasMore: data.hasMore === true, nextBeforeId: data.nextBeforeId, nextAfterId: data.nextAfterId };
  }

  /** A page of the user's conversations, most recent first (`cursor`: the previous page's nextCursor). */
  async conversations(token: string, page: { limit: number; cursor?: string | null }): Promise<ConversationPage> {
    const q = new URLSearchParams({ limit: String(page.limit) });
    if (page.cursor) q.set('cursor', page.cursor);
    const data = await this.call<Partial<ConversationPage>>(`/chat_message/get_Conversation_List.do?${q}`, { headers: { token } });
    return { list: Array.isArray(data.list) ? data.list : [], nextCursor: data.nextCursor ?? null, totalUnread: data.totalUnread ?? 0 };
  }

  /** The read position over HTTP, for when the socket is not open (the `read` frame otherwise). */
  markRead(token: string, friendId: number, seq: number): Promise<{ friendId: number; readSeq: number; unread?: number }> {
    return this.call('/chat_message/mark_Read.do', {
      method: 'POST',
      headers: { token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ friendId: String(friendId), seq: String(seq) }).toString(),
    });
  }

  /** Whether the server takes this token (the socket's refusal cannot be read in a browser). */
  async tokenAccepted(token: string): Promise<boolean> {
    try {
      // The token is checked before any parameter: without friendId a good one gets 不存在记录.
      await this.call('/chat_message/get_Message_History.do?limit=1', { headers: { token } });
      return true;
    } catch (e) {
      if (e instanceof ApiError) return !e.unauthenticated;
      throw e;
    }
  }

  /**
   * One image to the upload API. With `onProgress` (and XMLHttpRequest, which unlike fetch
   * reports how much of a body has gone out), it is told the bytes sent so far; `signal` cancels.
   */
  upload(token: string, file: Blob, name: string, progress: UploadProgress = {}): Promise<UploadedImage> {
    const form = new FormData();
    form.append('upload_file', file, name);
    if (!progress.onProgress || typeof XMLHttpRequest === 'undefined') {
      return this.call<UploadedImage>('/user/upload.do', { method: 'POST', headers: { token }, body: form, signal: progress.signal });
    }
    const onProgress = progress.onProgress;
    return new Promise<UploadedImage>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.base}/user/upload.do`);
      xhr.setRequestHeader('token', token);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        try {
          resolve(envelopeData<UploadedImage>(xhr.status, xhr.responseText));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      xhr.onerror = () => reject(new ApiError('the upload did not get through (network error)', 0));
      xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
      if (progress.signal?.aborted) return xhr.onabort(new ProgressEvent('abort'));
      progress.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(form);
    });
  }

  /** Development mode only: null when the server has no such endpoint (not in dev mode). */
  async devUsers(): Promise<UserSummary[] | null> {
    try {
      return (await this.call<{ list: UserSummary[] }>('/dev/users')).list;
    } catch (e) {
      if (e instanceof ApiError && e.httpStatus === 404) return null;
      throw e;
    }
  }

  devCreateUser(phone: string, name?: string): Promise<UserSummary> {
    return this.call<UserSummary>('/dev/users', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(name ? { phone, name } : { phone }),
    });
  }

  async devToken(userId: number): Promise<string> {
    return (await this.call<{ token: string }>(`/dev/users/${userId}/token`, { method: 'POST' })).token;
  }

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.fetchFn(`${this.base}${path}`, init);
    return envelopeData<T>(res.status, await res.text());
  }
}

export interface UploadProgress {
  /** Bytes of the request body sent so far, of `total`. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** The data of a legacy envelope, or its `msg` as an ApiError. */
function envelopeData<T>(httpStatus: number, text: string): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // A proxy's own page (nginx's client_max_body_size answers 413 in HTML).
    if (httpStatus === 413) throw new ApiError('图片太大 (too large for the server or a proxy in front of it: HTTP 413)', httpStatus);
    throw new ApiError(`unexpected answer (HTTP ${httpStatus})`, httpStatus);
  }
  const envelope = (body ?? {}) as { status?: unknown; data?: unknown; msg?: unknown };
  if (httpStatus !== 200) throw new ApiError(typeof envelope.msg === 'string' ? envelope.msg : `HTTP ${httpStatus}`, httpStatus);
  if (envelope.status === 0) return envelope.data as T;
  throw new ApiError(typeof envelope.msg === 'string' ? envelope.msg : 'unexpected answer');
}
