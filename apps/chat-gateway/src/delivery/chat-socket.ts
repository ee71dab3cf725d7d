/** What delivery needs of a client connection, whatever carries it. */
export interface ChatSocket {
  /** `<instanceId>/<sequence>`: unique across replicas, so a sender's own socket can be skipped. */
  readonly id: string;
  readonly userId: number;
  readonly isOpen: boolean;
  /** Resolves once the frame is handed to the network; rejects if the socket is gone. */
  send(frame: object): Promise<void>;
  /**
   * Resolves true once the client proves it has read everything sent so far (a protocol ping
   * answered: the pong comes back after the earlier frames), false if it does not in time.
   */
  confirm(timeoutMs: number): Promise<boolean>;
  close(code: number, reason: string): void;
}
