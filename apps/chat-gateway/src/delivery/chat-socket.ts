import type { ProtocolVersion, ServerEvent } from '../protocol/events';

/** Told which socket drained. */
export type DrainListener = (socket: ChatSocket) => void;

/** What delivery needs of a client connection, whatever carries it: the port to the transport. */
export interface ChatSocket {
  /** `<instanceId>/<sequence>`: unique across replicas, so a sender's own socket can be skipped. */
  readonly id: string;
  readonly userId: number;
  /** 2 when the client opted in to protocol v2 at the upgrade (typed server frames, seq). */
  readonly version: ProtocolVersion;
  readonly isOpen: boolean;
  /** Resolves once the socket has closed, however it closed. */
  readonly closed: Promise<void>;
  /** Over its send budget: the network has not taken what was written (a reader that stopped reading). */
  readonly overBudget: boolean;
  /**
   * Writes one event as the socket's protocol frames it (the transport encodes); false (and
   * nothing written) if the socket is gone. A typed event is never written to a legacy socket.
   */
  send(event: ServerEvent): boolean;
  /**
   * Sets the listener called once each time the socket, having been over its budget, drains
   * below half of it (a later call replaces it). It is told which socket drained, so one
   * function can serve every socket.
   */
  onDrain(listener: DrainListener): void;
  /**
   * Resolves true once the client proves it has read everything sent so far (a protocol ping
   * answered: the pong comes back after the earlier frames), false if it does not in time.
   */
  confirm(timeoutMs: number): Promise<boolean>;
  close(code: number, reason: string): void;
}
