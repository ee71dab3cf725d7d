import { deliveredFrame, FrameMessage, messageFrame, ProtocolVersion, readFrame, typingFrame } from '../protocol/frame-codec';

// A message reaching several sockets (the recipient's devices, the sender's other ones) is
// encoded once per protocol version, not once per socket.
const encoded = new WeakMap<FrameMessage, [string | undefined, string | undefined]>();

export function encodeMessage(m: FrameMessage, version: ProtocolVersion): string {
  let cache = encoded.get(m);
  if (!cache) encoded.set(m, (cache = [undefined, undefined]));
  return (cache[version - 1] ??= JSON.stringify(messageFrame(m, version)));
}

export type TypedServerFrame =
  | { type: 'read'; friendId: number; by: number; seq: number; time: string }
  | { type: 'delivered'; friendId: number; seq: number }
  | { type: 'typing'; friendId: number };

/** The typed server frames of protocol v2 (never for a legacy socket). */
export function encodeTyped(frame: TypedServerFrame): string {
  switch (frame.type) {
    case 'read':
      return JSON.stringify(readFrame(frame.friendId, frame.by, frame.seq, frame.time));
    case 'delivered':
      return JSON.stringify(deliveredFrame(frame.friendId, frame.seq));
    case 'typing':
      return JSON.stringify(typingFrame(frame.friendId));
  }
}
