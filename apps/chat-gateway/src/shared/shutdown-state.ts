import { Injectable } from '@nestjs/common';

/** Whether this replica is on its way down: not ready, refusing frames (set once, never cleared). */
@Injectable()
export class ShutdownState {
  private down = false;

  get shuttingDown(): boolean {
    return this.down;
  }

  begin(): void {
    this.down = true;
  }
}
