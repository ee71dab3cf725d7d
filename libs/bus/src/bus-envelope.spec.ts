import { BusEnvelopeCodec } from './bus-envelope';
import { BusDelivered, BusMessage, BusRead, BusTyping } from './message-bus';

const message: BusMessage = {
  type: 'message',
  id: 7,
  senderId: 1,
  to: 2,
  senderName: 'alice',
  text: 'hello 你好 🙂',
  time: '2024-01-02 03:04:05',
  originSocket: 'replica-a/3',
  seq: 4,
};
const read: BusRead = { type: 'read', by: 2, friendId: 1, seq: 4, time: '2024-01-02 03:04:06' };
const delivered: BusDelivered = { type: 'delivered', by: 2, friendId: 1, seq: 4 };
const typing: BusTyping = { type: 'typing', by: 2, friendId: 1 };

describe('BusEnvelopeCodec', () => {
  const codec = new BusEnvelopeCodec('t1:', 'replica-a');
  const peer = new BusEnvelopeCodec('t1:', 'replica-b');

  describe('channels', () => {
    it('names one channel per user with a cluster hash tag under the key prefix', () => {
      expect(codec.channelFor(42)).toBe('t1:user:{42}');
      expect(new BusEnvelopeCodec('', 'x').channelFor(42)).toBe('user:{42}');
    });

    it('reads the user back from its channel', () => {
      for (const userId of [0, 1, 42, 2 ** 40]) expect(codec.userOf(codec.channelFor(userId))).toBe(userId);
    });

    it('refuses channels of another prefix and names it did not make', () => {
      for (const channel of [
        'other:user:{2}',
        'user:{2}',
        't1:user:2',
        't1:user:{2',
        't1:user:{}',
        't1:user:{abc}',
        't1:user:{0x10}',
        't1:user:{007}',
        't1:user:{ 7}',
        't1:user:{1.5}',
        't1:user:{99999999999999999999}',
        't1:rl:{2}:1',
      ]) {
        expect([channel, codec.userOf(channel)]).toEqual([channel, undefined]);
      }
    });
  });

  describe('envelopes', () => {
    it('puts a message in `msg`, as replicas of the previous release read it', () => {
      expect(JSON.parse(codec.encode(message))).toEqual({ v: 1, from: 'replica-a', msg: message });
    });

    it('puts the other events in `ev`, which replicas of the previous release ignore', () => {
      for (const event of [read, delivered, typing]) {
        expect(JSON.parse(codec.encode(event))).toEqual({ v: 1, from: 'replica-a', ev: event });
      }
    });

    it('decodes what a peer encoded', () => {
      for (const event of [message, read, delivered, typing]) {
        expect(codec.decode(peer.encode(event))).toEqual({ kind: 'event', event });
      }
    });

    it('decodes a message of the previous release (no `type`) as a message event', () => {
      const { type: _type, ...old } = message;
      const payload = JSON.stringify({ v: 1, from: 'old-replica', msg: old });
      expect(codec.decode(payload)).toEqual({ kind: 'event', event: message });
    });

    it('recognises a resync hint, from a peer only', () => {
      expect(JSON.parse(codec.encodeResyncHint())).toEqual({ v: 1, from: 'replica-a', resync: true });
      expect(codec.decode(peer.encodeResyncHint())).toEqual({ kind: 'resync' });
      expect(codec.decode(codec.encodeResyncHint())).toEqual({ kind: 'echo' });
    });

    it('recognises its own echo', () => {
      expect(codec.decode(codec.encode(message))).toEqual({ kind: 'echo' });
      expect(codec.decode(codec.encode(typing))).toEqual({ kind: 'echo' });
    });

    it('calls what is not an envelope garbage', () => {
      for (const payload of ['{not json', '', 'null', '42', '"text"', '[1,2]']) {
        expect([payload, codec.decode(payload).kind]).toEqual([payload, 'garbage']);
      }
    });

    it('ignores envelopes carrying nothing this release reads', () => {
      for (const envelope of [
        { v: 1, from: 'replica-b' },
        { v: 1, from: 'replica-b', ev: { type: 'reaction', by: 2 } },
        { v: 1, from: 'replica-b', ev: { by: 2 } },
        { v: 1, from: 'replica-b', ev: 'typing' },
        { v: 1, from: 'replica-b', msg: 5 },
        { v: 1, from: 'replica-b', msg: null },
      ]) {
        expect([envelope, codec.decode(JSON.stringify(envelope))]).toEqual([envelope, { kind: 'unknown' }]);
      }
    });
  });

  describe('confirm requests', () => {
    it('is asked by a peer, and counts its own request coming back as its own answer', () => {
      const request = codec.encodeConfirmRequest('q-1');
      expect(peer.decode(request)).toEqual({ kind: 'confirm', id: 'q-1' });
      expect(codec.decode(request)).toEqual({ kind: 'confirmed', id: 'q-1', from: 'replica-a' });
    });

    it("reads a peer's answer, and ignores its own answer coming back", () => {
      const answer = peer.encodeConfirmed('q-1');
      expect(codec.decode(answer)).toEqual({ kind: 'confirmed', id: 'q-1', from: 'replica-b' });
      expect(peer.decode(answer)).toEqual({ kind: 'echo' });
    });

    it('is an envelope a replica of the previous release ignores (no msg, ev or resync)', () => {
      const parsed = JSON.parse(codec.encodeConfirmRequest('q-2')) as Record<string, unknown>;
      expect(parsed).toEqual({ v: 1, from: 'replica-a', confirm: 'q-2' });
    });
  });
});
