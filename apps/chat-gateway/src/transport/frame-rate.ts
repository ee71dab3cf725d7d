/**
 * Frames per second one user's sockets may have handled on this replica, as a token bucket (a
 * burst of twice the rate). The ingress waits for a token before handling a frame: a client
 * sending faster than that is not read (TCP pushes back), so a flood costs the replica bounded
 * CPU, whatever the frames hold, and leaves the event loop to everyone else.
 */
export class FrameRate {
  private tokens: number;
  private at = Date.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond * 2;
  }

  /** Takes a token: 0 when there was one, else how long to wait before taking it (it is taken). */
  take(): number {
    if (this.perSecond === 0) return 0;
    const now = Date.now();
    this.tokens = Math.min(this.perSecond * 2, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.perSecond);
  }
}
