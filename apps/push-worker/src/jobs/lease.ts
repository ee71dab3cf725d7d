/**
 * This worker's hold on the jobs it claimed: its owner name (written into push_job.lease_owner,
 * so finishing a job whose lease went to another worker changes nothing) and whether a send may
 * still start, ending inside the lease: otherwise another worker could take the job over while
 * this one's request is still on its way.
 */
export class Lease {
  constructor(
    readonly owner: string,
    readonly durationMs: number,
    private readonly sendTimeoutMs: number,
  ) {}

  /** A send of at most the send timeout, started now, ends before `leaseUntil`, with the time to record it. */
  allowsSend(leaseUntil: number, now = Date.now()): boolean {
    return now + this.sendTimeoutMs + RECORD_MARGIN_MS <= leaseUntil;
  }
}

/** Time to record a send's outcome after its answer. */
const RECORD_MARGIN_MS = 250;
