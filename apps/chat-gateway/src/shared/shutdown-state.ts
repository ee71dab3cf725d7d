import { Injectable } from '@nestjs/common';

/** Whether this replica is on its way down: not ready, refusing frames (set once, never cleared). */
@Injectable()
export class ShutdownState {
  private down = false;

  get refusingFrames(): boolean {
    return this.down;
  }

  get shuttingDown(): boolean {
    return this.down;
  }

  begin(): void {
    this.down = true;
  }
}
