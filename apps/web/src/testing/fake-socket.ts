import type { SocketLike } from '../protocol/connection';

/** A WebSocket stand-in for unit specs: the spec opens, closes and feeds it by hand. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  protocol = '';
  readonly sent: string[] = [];
  closedWith: number | undefined;
  onopen: ((ev: Event) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  serverOpens(protocol = ''): void {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({} as Event);
  }

  serverSends(frame: object | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) } as MessageEvent);
  }

  drops(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
}

export function socketFactory() {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    create: (url: string, protocols: string[]) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
    get last(): FakeSocket {
      return sockets[sockets.length - 1];
    },
  };
}
