/** What delivery needs of a client connection, whatever carries it. */
export interface ChatSocket {
  /** `<instanceId>/<sequence>`: unique across replicas, so a sender's own socket can be skipped. */
  readonly id: string;
  readonly userId: number;
  readonly isOpen: boolean;
  /** Resolves once the frame is handed to the network; rejects if the socket is gone. */
  send(frame: object): Promise<void>;
  close(code: number, reason: string): void;
}
