import type { ChatSocket } from '../delivery/chat-socket';
import type { ReplyFrame } from '../protocol/frame-codec';

/** What a frame handler knows of the frame it handles and where to answer. */
export interface FrameContext {
  readonly socket: ChatSocket;
  /** When the frame came off the wire (a message's receive time, where its deadline counts from). */
  readonly receivedAt: number;
  /** Answers on the socket the frame came from. */
  reply(frame: ReplyFrame): void;
}
