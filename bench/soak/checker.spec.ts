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
  return { device: id, user, receipts, connectedAtEnd };
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
    expect(failuresOf(f, 0)).toHaveLength(7);
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
