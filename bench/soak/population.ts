import { sleep } from '../../test/support/wait';
import type { DeviceLog } from './checker';
import { Device, DeviceKind, SoakUser } from './device';
import type { HalfOpenProxy } from './half-open-proxy';
import { Random } from './random';
import { SendLedger } from './send-ledger';

export interface PopulationOptions {
  users: Array<{ id: number; token: string }>;
  random: Random;
  ports: () => number[];
  /** The half-open proxies in front of the replicas (same order). */
  proxyPorts?: () => number[];
  /** Share of the non-flooding devices that connect through them. */
  proxiedShare?: number;
  /** Sends per second over all users. */
  rate: number;
  ackTimeoutMs: number;
  heartbeatText: string;
  /** When the run started (times in the records count from it). */
  startedAt: number;
}

/** Each user stays under this many frames per window: the gateway's default limit is 30 per 10 s. */
const USER_BUDGET = 20;
const USER_WINDOW_MS = 10_000;

/**
 * The users and their devices, and how they behave: a steady stream of sends spread over many
 * conversations, and the client-side faults (storms, slow readers, floods).
 *
 * Users: 1–3 devices each (Android and iOS legacy apps, modern clients with clientMsgId, half of
 * those on protocol v2), 3–6 friends each. About 2 % are flooders: one device, never sent to by
 * the others' schedule, sending only when a flood fault picks them.
 */
export class Population {
  readonly users: SoakUser[] = [];
  readonly devices: Device[] = [];
  readonly ledger: SendLedger;
  private readonly normal: SoakUser[] = [];
  private readonly flooders: SoakUser[] = [];
  private readonly random: Random;
  private sendTimer?: NodeJS.Timeout;
  private due = 0;
  private lastTick = 0;
  private finalMark = new Map<Device, boolean>();

  constructor(private readonly o: PopulationOptions) {
    this.random = o.random;
    this.ledger = new SendLedger(o.startedAt);
    const floodCount = Math.max(2, Math.round(o.users.length * 0.02));
    o.users.forEach((u, i) => {
      const user: SoakUser = { ...u, friends: [], flooder: i >= o.users.length - floodCount, devices: [], sentAt: [] };
      this.users.push(user);
      (user.flooder ? this.flooders : this.normal).push(user);
    });
    this.makeFriends();
    for (const user of this.users) {
      const count = user.flooder ? 1 : this.random.chance(0.5) ? 1 : this.random.chance(0.6) ? 2 : 3;
      for (let i = 0; i < count; i++) {
        const kind: DeviceKind = user.flooder ? 'android' : this.pickKind();
        const device = new Device({
          id: this.devices.length + 1,
          user,
          kind,
          v2: kind === 'modern' && this.random.chance(0.5),
          ledger: this.ledger,
          random: this.random.fork(),
          ports: o.ports,
          proxyPorts: o.proxyPorts,
          viaProxy: !user.flooder && o.proxyPorts !== undefined && this.random.chance(o.proxiedShare ?? 0),
          ackTimeoutMs: o.ackTimeoutMs,
          heartbeatText: o.heartbeatText,
          budget: () => this.take(user),
        });
        user.devices.push(device);
        this.devices.push(device);
      }
    }
  }

  describe(): Record<string, number> {
    const kinds: Record<string, number> = { users: this.users.length, flooders: this.flooders.length, devices: this.devices.length };
    for (const d of this.devices) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
    kinds.conversations = this.normal.reduce((n, u) => n + u.friends.length, 0) / 2;
    return kinds;
  }

  /** Opens every device (staggered); resolves with how many are open after at most `timeoutMs`. */
  async connectAll(timeoutMs: number): Promise<number> {
    this.devices.forEach((d, i) => setTimeout(() => d.start(), i * 3));
    const deadline = Date.now() + timeoutMs;
    while (this.devices.some((d) => !d.isOpen) && Date.now() < deadline) await sleep(100);
    return this.devices.filter((d) => d.isOpen).length;
  }

  startSending(): void {
    this.lastTick = Date.now();
    this.sendTimer = setInterval(() => this.tick(), 50);
  }

  stopSending(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.sendTimer = undefined;
  }

  /** Waits until no clientMsgId send is outstanding; returns how many still are after `timeoutMs`. */
  async drainOutstanding(timeoutMs: number): Promise<number> {
    const count = () => this.devices.reduce((n, d) => n + d.outstanding, 0);
    const deadline = Date.now() + timeoutMs;
    while (count() > 0 && Date.now() < deadline) await sleep(100);
    return count();
  }

  async storm(share: number, pick: number, withinMs: number): Promise<string> {
    const random = new Random(pick);
    const open = this.devices.filter((d) => d.isOpen && !d.busy);
    let closed = 0;
    let terminated = 0;
    for (const d of random.sample(open, Math.round(open.length * share))) {
      const mode = random.chance(0.5) ? 'close' : 'terminate';
      if (!d.drop(mode, withinMs)) continue;
      if (mode === 'close') closed += 1;
      else terminated += 1;
    }
    await sleep(withinMs);
    return `${closed + terminated} of ${open.length} open devices dropped (${closed} with a close handshake, ${terminated} without), back within ${withinMs} ms`;
  }

  async slowReaders(count: number, holdMs: number, pick: number): Promise<string> {
    const random = new Random(pick);
    const candidates = this.devices.filter((d) => !d.user.flooder && d.isOpen && !d.busy);
    const chosen = random.sample(candidates, count).filter((d) => d.pauseFor(holdMs));
    const before = new Map(chosen.map((d) => [d, d.connectionNumber]));
    await sleep(holdMs + 500);
    const dropped = chosen.filter((d) => d.connectionNumber !== before.get(d));
    const codes = dropped.map((d) => d.lastCloseCode ?? '?').join(',');
    return `${chosen.length} device(s) stopped reading for ${holdMs} ms; ${dropped.length} closed meanwhile${codes ? ` (${codes})` : ''}`;
  }

  async flood(holdMs: number, pick: number): Promise<string> {
    const device = await this.readyFlooder(pick);
    if (!device) return 'skipped: no flooder connected';
    return `device ${device.id}: ${await device.flood(holdMs)}`;
  }

  /** A flooder's device that is connected and idle (waits up to 10 s for one). */
  async readyFlooder(pick: number): Promise<Device | undefined> {
    const random = new Random(pick);
    const ready = () => this.flooders.flatMap((u) => u.devices).filter((d) => d.isOpen && !d.busy);
    // A storm or a replica restart may have just dropped them: they come back within seconds.
    for (let waited = 0; !ready().length && waited < 10_000; waited += 100) await sleep(100);
    return ready().length ? random.pick(ready()) : undefined;
  }

  /**
   * Half-open: the links of `count` proxied devices go silent (no byte either way, no FIN, no
   * RST reaches the client) for `holdMs`; then the client's end is reset, as its own timeout would.
   */
  async halfOpen(count: number, holdMs: number, pick: number, proxies: readonly HalfOpenProxy[]): Promise<string> {
    const random = new Random(pick);
    const candidates = this.devices.filter((d) => d.viaProxy && !d.user.flooder && d.isOpen && !d.busy);
    const silenced: Array<{ device: Device; proxy: HalfOpenProxy; port: number }> = [];
    for (const device of random.sample(candidates, count)) {
      const port = device.localPort;
      const proxy = proxies[device.replicaIndex];
      if (port === undefined || !proxy?.silence(port)) continue;
      device.markUnreachable();
      silenced.push({ device, proxy, port });
    }
    if (!silenced.length) return 'skipped: no proxied device connected';
    await sleep(holdMs);
    for (const s of silenced) s.proxy.release(s.port);
    return `links of ${silenced.length} device(s) (${silenced.map((s) => s.device.id).join(', ')}) silent for ${holdMs} ms, then reset on the client's side`;
  }

  /** Settle phase: every device drops its connection and opens a new one; resolves with how many did not make it. */
  async reconnectAll(timeoutMs: number): Promise<number> {
    const results = await Promise.all(this.devices.map(async (d) => [d, await d.reconnectNow(timeoutMs)] as const));
    this.finalMark = new Map(results.map(([d, ok]) => [d, ok]));
    return results.filter(([, ok]) => !ok).length;
  }

  /** Waits until no frame has arrived for `quietMs`, at most `maxMs`; resolves with the time waited. */
  async waitQuiet(quietMs: number, maxMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - Math.max(this.ledger.lastFrameAt, started) < quietMs && Date.now() - started < maxMs) await sleep(100);
    return Date.now() - started;
  }

  async shutdown(): Promise<void> {
    this.stopSending();
    await Promise.all(this.devices.map((d) => d.shutdown()));
  }

  deviceLogs(): DeviceLog[] {
    return this.devices.map((d) => ({
      device: d.id,
      user: d.user.id,
      receipts: d.receipts,
      connectedAtEnd: (this.finalMark.get(d) ?? false) && d.isOpen,
      kind: d.kind,
      v2: d.v2,
      connections: d.windows,
      legacyRefusals: d.legacyRefusals,
    }));
  }

  private tick(): void {
    const now = Date.now();
    this.due += (this.o.rate * (now - this.lastTick)) / 1000;
    this.lastTick = now;
    for (; this.due >= 1; this.due -= 1) if (!this.sendOne()) this.ledger.skipped += 1;
  }

  private sendOne(): boolean {
    for (let tries = 0; tries < 5; tries++) {
      const user = this.random.pick(this.normal);
      if (!this.hasBudget(user)) continue;
      const open = user.devices.filter((d) => d.isOpen && !d.busy);
      if (!open.length) continue;
      const device = this.random.pick(open);
      const friend = device.freeFriend();
      if (friend === undefined) continue;
      this.take(user);
      device.send(friend);
      return true;
    }
    return false;
  }

  private hasBudget(user: SoakUser): boolean {
    const since = Date.now() - USER_WINDOW_MS;
    while (user.sentAt.length && user.sentAt[0] < since) user.sentAt.shift();
    return user.sentAt.length < USER_BUDGET;
  }

  private take(user: SoakUser): boolean {
    if (user.flooder) return true;
    if (!this.hasBudget(user)) return false;
    user.sentAt.push(Date.now());
    return true;
  }

  /** 3–6 friends each among the non-flooders (both ways), so there are many conversations, none hot. */
  private makeFriends(): void {
    const normal = this.normal;
    const friends = new Map(normal.map((u) => [u.id, new Set<number>()]));
    for (const user of normal) {
      const want = this.random.int(3, 6);
      for (let tries = 0; friends.get(user.id)!.size < want && tries < 50; tries++) {
        const other = this.random.pick(normal);
        if (other.id === user.id || friends.get(other.id)!.size >= 8) continue;
        friends.get(user.id)!.add(other.id);
        friends.get(other.id)!.add(user.id);
      }
    }
    for (const user of normal) user.friends = [...friends.get(user.id)!];
    for (const user of this.flooders) user.friends = this.random.sample(normal, 3).map((u) => u.id);
  }

  private pickKind(): DeviceKind {
    const r = this.random.next();
    return r < 0.35 ? 'android' : r < 0.6 ? 'ios' : 'modern';
  }
}
