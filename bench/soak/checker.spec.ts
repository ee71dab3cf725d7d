import { checkSoak, CheckInput, DeviceLog, failuresOf, Receipt, SendRecord, StoredRow } from './checker';

// Users 1 and 2 talk; user 1 has devices 10 (sender) and 11, user 2 has device 20; user 3
// (device 30) is a bystander.

function send(text: string, over: Partial<SendRecord> = {}): SendRecord {
  return { text, senderId: 1, to: 2, device: 10, mode: 'modern', flood: false, clientMsgId: `c-${text}`, attempts: 1, timeouts: 0, errors: [], ackIds: [], gaveUp: false, ...over };
}

function row(id: number, seq: number, text: string, over: Partial<StoredRow> = {}): StoredRow {
  return { id, sender: 1, to: 2, text, seq, clientMsgId: `c-${text}`, ...over };
}

const receipt = (r: StoredRow, connection = 1): Receipt => ({ connection, id: r.id, senderId: r.sender, to: r.to, text: r.text });

function device(id: number, user: number, receipts: Receipt[], connectedAtEnd = true): DeviceLog {
  return { device: id, user, receipts, connectedAtEnd, v2: true };
}

/** Three acked messages 1→2, received in order by the recipient and the sender's other device. */
function cleanRun(): CheckInput & { rows: StoredRow[]; sends: SendRecord[]; devices: DeviceLog[] } {
  const rows = [row(101, 1, 'a'), row(102, 2, 'b'), row(103, 3, 'c')];
  return {
    sends: rows.map((r) => send(r.text, { ackIds: [r.id] })),
    rows,
    devices: [device(10, 1, []), device(11, 1, rows.map((r) => receipt(r))), device(20, 2, rows.map((r) => receipt(r))), device(30, 3, [])],
    heartbeatText: 'heart',
  };
}

describe('checkSoak', () => {
  it('finds nothing wrong in a clean run', () => {
    const f = checkSoak(cleanRun());
    expect(f.sends).toMatchObject({ total: 3, modern: 3, acked: 3, stored: 3, unanswered: 0 });
    expect(f.lost.total).toBe(0);
    expect(f.order.total).toBe(0);
    expect(f.phantom.total).toBe(0);
    expect(f.duplicates.total).toBe(0);
    expect(Object.values(f.integrity).every((n) => n === 0)).toBe(true);
    expect(failuresOf(f, 0)).toEqual([]);
  });

  it('counts an acked send whose row is missing as lost', () => {
    const run = cleanRun();
    run.rows.splice(1, 1); // the database lost id 102, which was acked
    for (const d of run.devices) d.receipts = d.receipts.filter((r) => r.id !== 102);
    const f = checkSoak(run);
    expect(f.lost).toMatchObject({ total: 1, ackedNotStored: 1, storedNotReceived: 0 });
    expect(f.lost.samples[0]).toMatchObject({ why: 'acked, not in the database', id: 102, text: 'b' });
    expect(failuresOf(f, 0)[0]).toMatch(/^lost 1 message/);
  });

  it('counts a stored message that no device of its recipient received as lost, whoever else got it', () => {
    const run = cleanRun();
    const d20 = run.devices.find((d) => d.device === 20)!;
    d20.receipts = d20.receipts.filter((r) => r.id !== 103); // the sender's other device still has it
    const f = checkSoak(run);
    expect(f.lost).toMatchObject({ total: 1, ackedNotStored: 0, storedNotReceived: 1 });
    expect(f.lost.samples[0]).toMatchObject({ id: 103, to: 2, why: 'stored, never received by the recipient' });
  });

  it('counts a legacy send that was stored but never delivered as lost', () => {
    const run = cleanRun();
    const extra = row(104, 4, 'legacy', { clientMsgId: null });
    run.rows.push(extra);
    run.sends.push(send('legacy', { mode: 'legacy', clientMsgId: undefined }));
    const f = checkSoak(run);
    expect(f.lost.storedNotReceived).toBe(1);
    expect(f.sends).toMatchObject({ legacy: 1, stored: 4 });
  });

  it('finds an order inversion within one connection and one across a reconnect', () => {
    const run = cleanRun();
    const [a, b, c] = run.rows;
    run.devices.find((d) => d.device === 20)!.receipts = [receipt(b), receipt(a), receipt(c)];
    run.devices.find((d) => d.device === 11)!.receipts = [receipt(a), receipt(c, 1), receipt(b, 2)];
    const f = checkSoak(run);
    expect(f.order).toMatchObject({ total: 2, sameConnection: 1, acrossReconnect: 1, conversations: 1 });
    expect(f.order.samples).toContainEqual({ device: 20, conversation: '1:2', id: 101, seq: 1, afterId: 102, afterSeq: 2, sameConnection: true });
    expect(failuresOf(f, 0).join('\n')).toMatch(/2 order violation/);
  });

  it('keeps conversations apart: positions of different conversations are not compared', () => {
    const run = cleanRun();
    const other = row(201, 1, 'to-3', { to: 3 });
    run.rows.push(other);
    run.sends.push(send('to-3', { to: 3, ackIds: [201] }));
    // Device 11 sees position 3 of 1:2, then position 1 of 1:3: no violation.
    run.devices.find((d) => d.device === 11)!.receipts.push(receipt(other));
    run.devices.find((d) => d.device === 30)!.receipts.push(receipt(other));
    expect(checkSoak(run).order.total).toBe(0);
  });

  it('judges order by first receipt only: a repeat of an older message is a duplicate, not a violation', () => {
    const run = cleanRun();
    const [a] = run.rows;
    run.devices.find((d) => d.device === 20)!.receipts.push(receipt(a, 2));
    const f = checkSoak(run);
    expect(f.order.total).toBe(0);
    expect(f.duplicates).toEqual({ total: 1, devices: 1, maxPerDevice: 1 });
    expect(failuresOf(f, 0)).toEqual([]);
  });

  it('finds a phantom: refused with STORE_UNAVAILABLE, stored all the same', () => {
    const run = cleanRun();
    run.rows.push(row(104, 4, 'refused'));
    run.sends.push(send('refused', { errors: ['STORE_UNAVAILABLE'], gaveUp: true }));
    for (const d of run.devices.filter((d) => d.device === 20)) d.receipts.push(receipt(run.rows[3]));
    const f = checkSoak(run);
    expect(f.phantom.total).toBe(1);
    expect(f.phantom.samples[0]).toMatchObject({ text: 'refused', id: 104, answers: '1 attempt(s), errors STORE_UNAVAILABLE, gave up' });
    expect(f.sends.refused).toEqual({ STORE_UNAVAILABLE: 1 });
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 phantom/);
  });

  it('does not call a send a phantom when an attempt after its refusals got no answer and stored it', () => {
    const run = cleanRun();
    run.rows.push(row(104, 4, 'closed'));
    // Five refusals while the database was away, then a sixth attempt whose socket closed before its ack.
    run.sends.push(send('closed', { attempts: 6, errors: Array(5).fill('STORE_UNAVAILABLE'), gaveUp: true }));
    for (const d of run.devices.filter((d) => d.device === 20)) d.receipts.push(receipt(run.rows[3]));
    const f = checkSoak(run);
    expect(f.phantom.total).toBe(0);
    expect(f.sends.storedByUnansweredAttempt).toBe(1);
    expect(failuresOf(f, 0)).toEqual([]);
  });

  it('does not call a send a phantom when a replica logged it stored in time with its late ack finding no socket', () => {
    const run = cleanRun();
    run.rows.push(row(104, 4, 'answer lost'));
    run.sends.push(send('answer lost', { errors: ['STORE_UNAVAILABLE'], gaveUp: true }));
    for (const d of run.devices.filter((d) => d.device === 20)) d.receipts.push(receipt(run.rows[3]));
    // Another message's id in the log does not excuse this one.
    expect(checkSoak({ ...run, unansweredLateStores: new Set([999]) }).phantom.total).toBe(1);
    const f = checkSoak({ ...run, unansweredLateStores: new Set([104]) });
    expect(f.phantom.total).toBe(0);
    expect(f.sends.storedWithAnswerLost).toBe(1);
    expect(failuresOf(f, 0)).toEqual([]);
  });

  it('does not call a refused send that was retried and acked a phantom', () => {
    const run = cleanRun();
    run.sends[0].errors = ['STORE_UNAVAILABLE'];
    run.sends[0].attempts = 2;
    const f = checkSoak(run);
    expect(f.phantom.total).toBe(0);
    expect(f.sends.refused).toEqual({});
  });

  it('tells an echo of a device\'s own send from a reorder: it had the message already', () => {
    const run = cleanRun();
    const [a, b, c] = run.rows;
    // Device 10 sent all three; after a resync it gets its own first message back, late.
    run.devices.find((d) => d.device === 10)!.receipts = [receipt(a, 1)];
    run.devices.find((d) => d.device === 11)!.receipts = [receipt(c), receipt(a), receipt(b)];
    const f = checkSoak(run);
    expect(f.echoes).toMatchObject({ total: 1, devices: 1 });
    expect(f.echoes.samples[0]).toMatchObject({ device: 10, id: 101 });
    // The sender's other device did not have them: out of order there is a violation.
    expect(f.order).toMatchObject({ total: 2, sameConnection: 2 });
    expect(f.duplicates.total).toBe(0);
  });

  it('counts sends that never got an answer', () => {
    const run = cleanRun();
    run.sends.push(send('silent', { timeouts: 3, attempts: 3, gaveUp: true }));
    const f = checkSoak(run);
    expect(f.sends).toMatchObject({ unanswered: 1, attemptTimeouts: 3, gaveUp: 1, stored: 3 });
    expect(f.lost.total).toBe(0);
  });

  it('flags ghosts, misrouted and corrupted frames, double stores, changed ack ids, stray and heartbeat rows', () => {
    const run = cleanRun();
    const d20 = run.devices.find((d) => d.device === 20)!;
    d20.receipts.push({ connection: 1, id: 999, senderId: 1, to: 2, text: 'never stored' });
    d20.receipts.push({ ...receipt(run.rows[0]), text: 'altered' });
    run.devices.find((d) => d.device === 30)!.receipts.push(receipt(run.rows[1]));
    run.rows.push(row(105, 5, 'a', { clientMsgId: null }));
    d20.receipts.push(receipt(run.rows[3]));
    run.sends[1].ackIds.push(555);
    run.rows.push(row(106, 6, 'heart', { clientMsgId: null }), row(107, 7, 'who sent this', { clientMsgId: null }));
    d20.receipts.push(receipt(run.rows[4]), receipt(run.rows[5]));
    const f = checkSoak(run);
    expect(f.integrity).toEqual({ ghost: 1, misrouted: 1, corrupted: 1, storedTwice: 1, ackIdChanged: 1, unknownRows: 1, heartbeatsStored: 1 });
    // And the strict checks see the altered copy of 101 as a repeat on its connection.
    expect(failuresOf(f, 0)).toHaveLength(8);
    expect(f.strict.counts).toMatchObject({ repeat: 1, reorder: 0 });
  });

  it('finds a clientMsgId stored twice', () => {
    const run = cleanRun();
    run.rows.push(row(104, 4, 'a-again', { clientMsgId: 'c-a' }));
    run.sends.push(send('a-again', { mode: 'legacy', clientMsgId: undefined }));
    run.devices.find((d) => d.device === 20)!.receipts.push(receipt(run.rows[3]));
    expect(checkSoak(run).integrity.storedTwice).toBe(1);
  });

  it('fails on a crash and on devices that could not reconnect', () => {
    const run = cleanRun();
    run.devices[3].connectedAtEnd = false;
    const failures = failuresOf(checkSoak(run), 2);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/2 replica crash/);
    expect(failures[1]).toMatch(/1 device\(s\) could not reconnect/);
  });
});

describe('checkSoak, strict checks', () => {
  // Users 1 and 2 talk. User 1: device 10 (v2, sends), 11 (v2), 12 (legacy android). User 2:
  // devices 20 and 21 (legacy). Everyone connected from 0 s to the end on connection 1.
  const win = (openedAt = 0, endedAt?: number) => [{ connection: 1, openedAt, ...(endedAt === undefined ? {} : { endedAt }) }];
  const at = (r: StoredRow, t: number, connection = 1): Receipt => ({ ...receipt(r, connection), at: t });

  function strictRun() {
    const rows = [row(101, 1, 'a'), row(102, 2, 'b'), row(103, 3, 'c'), row(104, 4, 'd', { sender: 2, to: 1, clientMsgId: null })];
    const sends: SendRecord[] = [
      ...rows.slice(0, 3).map((r, i) => send(r.text, { ackIds: [r.id], sentAt: 2000 + i * 1000 })),
      send('d', { senderId: 2, to: 1, device: 20, mode: 'legacy', clientMsgId: undefined, sentAt: 6000, connection: 1 }),
    ];
    const toUser2 = rows.slice(0, 3);
    const devices: DeviceLog[] = [
      { device: 10, user: 1, kind: 'modern', v2: true, connectedAtEnd: true, connections: win(), receipts: [at(rows[3], 6100)] },
      { device: 11, user: 1, kind: 'modern', v2: true, connectedAtEnd: true, connections: win(), receipts: [...toUser2.map((r, i) => at(r, 2100 + i * 1000)), at(rows[3], 6100)] },
      { device: 12, user: 1, kind: 'android', v2: false, connectedAtEnd: true, connections: win(), receipts: [at(rows[3], 6100)] },
      { device: 20, user: 2, kind: 'android', v2: false, connectedAtEnd: true, connections: win(), receipts: toUser2.map((r, i) => at(r, 2100 + i * 1000)) },
      { device: 21, user: 2, kind: 'ios', v2: false, connectedAtEnd: true, connections: win(), receipts: toUser2.map((r, i) => at(r, 2100 + i * 1000)) },
    ];
    return { sends, rows, devices, heartbeatText: 'heart' } satisfies CheckInput;
  }
  const dev = (run: ReturnType<typeof strictRun>, id: number) => run.devices.find((d) => d.device === id)!;
  const without = (d: DeviceLog, id: number) => (d.receipts = d.receipts.filter((r) => r.id !== id));

  it('passes a clean history', () => {
    const f = checkSoak(strictRun());
    expect(f.strict.counts).toEqual({ missing: 0, missingOnSenderDevice: 0, gap: 0, repeat: 0, reorder: 0, legacyEcho: 0, redelivered: 0, unaccounted: 0 });
    expect(f.strict.legacy).toEqual({ total: 1, stored: 1, refused: 0, closedBeforeAnswer: 0, unaccounted: 0 });
    expect(f.strict.devices).toHaveLength(5);
    expect(failuresOf(f, 0)).toEqual([]);
  });

  it('fails a message missing on one of two recipient devices, though the other got it', () => {
    const run = strictRun();
    without(dev(run, 21), 103); // the last one: no gap shows it, only the window does
    const f = checkSoak(run);
    expect(f.lost.total).toBe(0); // the old check: some device of the recipient had it
    expect(f.strict.counts.missing).toBe(1);
    expect(f.strict.samples[0]).toMatchObject({ check: 'missing', device: 21, id: 103 });
    expect(f.strict.devices.find((d) => d.device === 21)!.counts.missing).toBe(1);
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 message\(s\) missing on a recipient device/);
  });

  it('owes nothing to a device that was not connected, or stopped reading, when the message came', () => {
    const run = strictRun();
    dev(run, 21).connections = [{ connection: 1, openedAt: 0, endedAt: 3500 }, { connection: 2, openedAt: 9000 }];
    without(dev(run, 21), 103);
    dev(run, 20).connections = [{ connection: 1, openedAt: 0, unreadableFrom: 3500, endedAt: 20_000 }];
    without(dev(run, 20), 103);
    expect(checkSoak(run).strict.counts.missing).toBe(0);
  });

  it("fails a message missing on the sender's other v2 device", () => {
    const run = strictRun();
    without(dev(run, 11), 102);
    const f = checkSoak(run);
    expect(f.strict.counts.missingOnSenderDevice).toBe(1);
    expect(f.strict.counts.gap).toBe(1); // 101 then 103 on one connection
    expect(failuresOf(f, 0).join('\n')).toMatch(/missing on a sender's other v2 device/);
  });

  it('fails a gap on one connection', () => {
    const run = strictRun();
    dev(run, 20).connections = undefined; // no windows: only the stream itself can show it
    without(dev(run, 20), 102);
    const f = checkSoak(run);
    expect(f.strict.counts).toMatchObject({ gap: 1, missing: 0 });
    expect(f.strict.samples[0]).toMatchObject({ check: 'gap', device: 20, id: 103, connection: 1 });
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 gap\(s\) within one connection/);
  });

  it('does not call a reconnect a gap', () => {
    const run = strictRun();
    const [a, , c] = run.rows;
    dev(run, 20).connections = undefined;
    dev(run, 20).receipts = [at(a, 2100, 1), at(c, 4100, 2)];
    expect(checkSoak(run).strict.counts.gap).toBe(0);
  });

  it('fails a repeat on one connection', () => {
    const run = strictRun();
    dev(run, 20).receipts.push(at(run.rows[2], 4500));
    const f = checkSoak(run);
    expect(f.strict.counts.repeat).toBe(1);
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 repeat\(s\) of a message on one connection/);
  });

  it('fails a reorder on one connection, even without seq on the frames', () => {
    const run = strictRun();
    const d = dev(run, 21);
    d.receipts = [d.receipts[0], d.receipts[2], d.receipts[1]];
    const f = checkSoak(run);
    expect(f.strict.counts.reorder).toBe(1);
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 reorder\(s\) within one connection/);
  });

  it("fails an echo of the user's own message to a legacy socket, and allows it on v2", () => {
    const run = strictRun();
    dev(run, 12).receipts.unshift(at(run.rows[0], 2100)); // legacy device of the sender
    const f = checkSoak(run);
    expect(f.strict.counts.legacyEcho).toBe(1);
    expect(f.strict.samples[0]).toMatchObject({ check: 'legacyEcho', device: 12, id: 101 });
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 echo\(es\) of a user's own message to a socket without v2/);
    const v2 = strictRun();
    dev(v2, 10).receipts.unshift(at(v2.rows[0], 2100)); // the sending v2 device itself: optional
    expect(checkSoak(v2).strict.counts.legacyEcho).toBe(0);
  });

  it('fails an unaccounted legacy send, and accounts for refused ones and ones a close swallowed', () => {
    const run = strictRun();
    run.sends.push(send('lost', { senderId: 2, to: 1, device: 20, mode: 'legacy', clientMsgId: undefined, sentAt: 7000, connection: 1 }));
    const f = checkSoak(run);
    expect(f.strict.legacy).toMatchObject({ total: 2, stored: 1, unaccounted: 1 });
    expect(f.strict.counts.unaccounted).toBe(1);
    expect(failuresOf(f, 0).join('\n')).toMatch(/1 legacy send\(s\) unaccounted/);

    dev(run, 20).legacyRefusals = [{ connection: 1, to: 1, code: 'RATE_LIMITED' }];
    expect(checkSoak(run).strict.legacy).toMatchObject({ refused: 1, unaccounted: 0 });
    dev(run, 20).legacyRefusals = [{ connection: 1, to: 2, code: 'RATE_LIMITED' }]; // another recipient's refusal
    expect(checkSoak(run).strict.legacy.unaccounted).toBe(1);
    dev(run, 20).legacyRefusals = [];
    dev(run, 20).connections = [{ connection: 1, openedAt: 0, endedAt: 8000 }];
    expect(checkSoak(run).strict.legacy).toMatchObject({ closedBeforeAnswer: 1, unaccounted: 0 });
  });

  it('counts a legacy send stored under another sender or recipient as unaccounted', () => {
    const run = strictRun();
    run.rows[3] = { ...run.rows[3], to: 3 };
    for (const d of run.devices) without(d, 104);
    expect(checkSoak(run).strict.legacy.unaccounted).toBe(1);
  });

  it('reports (does not fail) a message delivered again to a new device although another device of the user had it', () => {
    const run = strictRun();
    dev(run, 21).connections = [{ connection: 1, openedAt: 0, endedAt: 1500 }, { connection: 2, openedAt: 5000 }];
    const [a, b, c] = run.rows;
    dev(run, 21).receipts = [at(a, 5050, 2), at(b, 5050, 2), at(c, 5050, 2)]; // 20 had all three by 4.1 s
    const f = checkSoak(run);
    expect(f.strict.counts.redelivered).toBe(3);
    expect(failuresOf(f, 0).join('\n')).not.toMatch(/delivered again to a new device/);
    // What no other device had is the backlog, as it should be.
    dev(run, 20).receipts = [];
    dev(run, 20).connections = [{ connection: 1, openedAt: 0, endedAt: 1500 }];
    expect(checkSoak(run).strict.counts.redelivered).toBe(0);
  });
});
