import type { FrameMessage, ProtocolVersion, ServerEvent } from '../protocol/events';
import { deliveredFrame, messageFrame, readFrame, ReplyFrame, typingFrame } from '../protocol/frame-codec';

// The one place where the core's typed events become wire frames. An event reaching several
// sockets (a message to the recipient's devices and the sender's other ones, a receipt to every
// v2 device) is encoded once per protocol version, not once per socket.
const encodedMessages = new WeakMap<FrameMessage, [string | undefined, string | undefined]>();
const encodedEvents = new WeakMap<ServerEvent, string>();

export function encodeMessage(m: FrameMessage, version: ProtocolVersion): string {
  let cache = encodedMessages.get(m);
  if (!cache) encodedMessages.set(m, (cache = [undefined, undefined]));
  return (cache[version - 1] ??= JSON.stringify(messageFrame(m, version)));
}

/** An event as the frame a socket of `version` reads; null for a typed event and a legacy socket. */
export function encodeEvent(event: ServerEvent, version: ProtocolVersion): string | null {
  if (event.type === 'message') return encodeMessage(event.message, version);
  if (version !== 2) return null;
  let data = encodedEvents.get(event);
  if (data === undefined) encodedEvents.set(event, (data = JSON.stringify(typedFrame(event))));
  return data;
}

/** The typed server frames of protocol v2 (never for a legacy socket). */
function typedFrame(event: Exclude<ServerEvent, { type: 'message' }>) {
  switch (event.type) {
    case 'read':
      return readFrame(event.friendId, event.by, event.seq, event.time);
    case 'delivered':
      return deliveredFrame(event.friendId, event.seq);
    case 'typing':
      return typingFrame(event.friendId);
  }
}

export function encodeReply(frame: ReplyFrame): string {
  return JSON.stringify(frame);
}
