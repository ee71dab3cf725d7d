import { sleep } from './wait';

/**
 * The gateway counts its rate limit in fixed windows aligned to the epoch
 * (`floor(now / window)`). A test that expects one window's count must not straddle an edge:
 * this waits, if need be, until the current window has at least `neededMs` left.
 */
export async function awayFromRateWindowEdge(windowSec: number, neededMs: number): Promise<void> {
  const windowMs = windowSec * 1000;
  if (neededMs >= windowMs) throw new Error(`a ${windowSec} s window can never leave ${neededMs} ms`);
  const left = windowMs - (Date.now() % windowMs);
  if (left < neededMs) await sleep(left + 50);
}
