// Compares what the clients sent, were told and received with what the database holds. Pure:
// everything comes in as plain records, so a unit spec can feed it planted defects.

/** One logical send: a legacy frame, or a clientMsgId with all its retries. */
export interface SendRecord {
  /** Unique per send: how rows and received frames are matched to it. */
  text: string;
  senderId: number;
  to: number;
  device: number;
  /** legacy: no clientMsgId and no ack; modern: clientMsgId, acked once stored. */
  mode: 'legacy' | 'modern';
  flood: boolean;
  clientMsgId?: string;
  attempts: number;
  /** Attempts that got neither an ack nor an error within the client's timeout. */
  timeouts: number;
  /** Codes of the error frames that answered it (modern sends only: attributed exactly). */
  errors: string[];
  /** Ids of every ack it got (retries answer with the same one). */
  ackIds: number[];
  gaveUp: boolean;
  /** What happened to it, for the samples of the report: `+12.3s a1 c4` (attempt 1 on connection 4), `ack 57`, `STORE_UNAVAILABLE`, `timeout`, `close`, `gave up`. */
  history?: string[];
}

/** A message frame as a device received it. */
export interface Receipt {
  /** Which connection of the device (1, 2, …): tells a reorder within a socket from one across a reconnect. */
  connection: number;
  id: number;
  /** Only on protocol v2 sockets. */
  seq?: number;
  senderId: number;
  to: number;
  text: string;
  /** Ms since the run started (for the samples; the checks use arrival order). */
  at?: number;
}

export interface DeviceLog {
  device: number;
  user: number;
  /** In arrival order. */
  receipts: Receipt[];
  connectedAtEnd: boolean;
}

export interface StoredRow {
  id: number;
  sender: number;
  to: number;
  text: string;
  seq: number | null;
  clientMsgId: string | null;
}

export interface CheckInput {
  sends: readonly SendRecord[];
  devices: readonly DeviceLog[];
  /** The message rows of the run's users. */
  rows: readonly StoredRow[];
  heartbeatText: string;
  /**
   * Ids of messages a replica logged as stored in time while their sender, answered
   * STORE_UNAVAILABLE, could not learn it (socket closed before the late ack): the one exception
   * protocol.md allows, not a phantom.
   */
  unansweredLateStores?: ReadonlySet<number>;
}

export interface OrderViolation {
  device: number;
  conversation: string;
  id: number;
  seq: number;
  /** The higher position received before it. */
  afterId: number;
  afterSeq: number;
  sameConnection: boolean;
  at?: number;
  afterAt?: number;
}

export interface LostMessage {
  why: 'acked, not in the database' | 'stored, never received by the recipient';
  text: string;
  id?: number;
  sender: number;
  to: number;
  seq?: number | null;
  mode?: SendRecord['mode'];
  answers?: string;
}

export interface SoakFindings {
  sends: {
    total: number;
    legacy: number;
    modern: number;
    flood: number;
    attempts: number;
    /** Sends whose text is in the database. */
    stored: number;
    acked: number;
    /** Modern sends that ended on an error (no ack), by the last code. */
    refused: Record<string, number>;
    /** Modern sends that got neither an ack nor an error, ever. */
    unanswered: number;
    /** Refused at least once, then stored by an attempt that got no answer (its socket closed, or it timed out): not a phantom. */
    storedByUnansweredAttempt: number;
    /** Every attempt refused, stored all the same, and logged by the replica as stored in time with the answer lost: the documented exception. */
    storedWithAnswerLost: number;
    /** Attempts that timed out (retried or given up). */
    attemptTimeouts: number;
    gaveUp: number;
  };
  lost: { total: number; ackedNotStored: number; storedNotReceived: number; samples: LostMessage[] };
  phantom: { total: number; samples: Array<{ text: string; sender: number; to: number; clientMsgId?: string; id: number; answers: string }> };
  duplicates: { total: number; devices: number; maxPerDevice: number };
  /** A device receiving a message it sent itself (the protocol says the sending socket never gets it). */
  echoes: { total: number; devices: number; samples: Array<{ device: number; id: number; seq: number | null; connection: number; at?: number }> };
  order: { total: number; sameConnection: number; acrossReconnect: number; conversations: number; samples: OrderViolation[] };
  integrity: {
    /** Received, but no such row: delivered before (or without) being stored. */
    ghost: number;
    /** Received by a device whose user is neither sender nor recipient. */
    misrouted: number;
    /** Received with a text, sender, recipient or position other than the row's. */
    corrupted: number;
    /** One send stored as several rows (a text twice, or a clientMsgId twice). */
    storedTwice: number;
    /** Acks of one clientMsgId naming different ids. */
    ackIdChanged: number;
    /** Rows no send of the run explains. */
    unknownRows: number;
    heartbeatsStored: number;
  };
  devicesNotConnectedAtEnd: number;
}

const SAMPLES = 20;

const conversationOf = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;

function add(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

export function checkSoak(input: CheckInput): SoakFindings {
  const rowsById = new Map<number, StoredRow>();
  const rowsByText = new Map<string, StoredRow[]>();
  const rowsByClientKey = new Map<string, StoredRow[]>();
  for (const row of input.rows) {
    rowsById.set(row.id, row);
    const byText = rowsByText.get(row.text) ?? [];
    byText.push(row);
    rowsByText.set(row.text, byText);
    if (row.clientMsgId !== null) {
      const key = `${row.sender}:${row.clientMsgId}`;
      rowsByClientKey.set(key, [...(rowsByClientKey.get(key) ?? []), row]);
    }
  }

  const findings: SoakFindings = {
    sends: { total: 0, legacy: 0, modern: 0, flood: 0, attempts: 0, stored: 0, acked: 0, refused: {}, unanswered: 0, storedByUnansweredAttempt: 0, storedWithAnswerLost: 0, attemptTimeouts: 0, gaveUp: 0 },
    lost: { total: 0, ackedNotStored: 0, storedNotReceived: 0, samples: [] },
    phantom: { total: 0, samples: [] },
    duplicates: { total: 0, devices: 0, maxPerDevice: 0 },
    echoes: { total: 0, devices: 0, samples: [] },
    order: { total: 0, sameConnection: 0, acrossReconnect: 0, conversations: 0, samples: [] },
    integrity: { ghost: 0, misrouted: 0, corrupted: 0, storedTwice: 0, ackIdChanged: 0, unknownRows: 0, heartbeatsStored: 0 },
    devicesNotConnectedAtEnd: input.devices.filter((d) => !d.connectedAtEnd).length,
  };
  const lostSample = (m: LostMessage) => {
    if (findings.lost.samples.length < SAMPLES) findings.lost.samples.push(m);
  };

  // 1. Every send against the database.
  const sendByText = new Map<string, SendRecord>();
  for (const send of input.sends) {
    sendByText.set(send.text, send);
    const s = findings.sends;
    s.total += 1;
    s.attempts += send.attempts;
    s.attemptTimeouts += send.timeouts;
    if (send.flood) s.flood += 1;
    if (send.gaveUp) s.gaveUp += 1;
    s[send.mode] += 1;
    const stored = rowsByText.get(send.text) ?? [];
    if (stored.length) s.stored += 1;
    if (stored.length > 1) findings.integrity.storedTwice += 1;
    if (send.mode !== 'modern') continue;

    if (send.ackIds.length) {
      s.acked += 1;
      if (new Set(send.ackIds).size > 1) findings.integrity.ackIdChanged += 1;
      const row = rowsById.get(send.ackIds[0]);
      if (!row || row.text !== send.text || row.sender !== send.senderId || row.to !== send.to) {
        findings.lost.ackedNotStored += 1;
        lostSample({ why: 'acked, not in the database', text: send.text, id: send.ackIds[0], sender: send.senderId, to: send.to, mode: send.mode, answers: answers(send) });
      }
    } else if (send.errors.length) {
      add(s.refused, send.errors[send.errors.length - 1]);
      // Every attempt answered with an error, yet stored: a phantom. An attempt that got no
      // answer at all (its socket closed first) may have been the one stored, as it should be.
      // And a replica that logged the row as stored in time, its late ack finding no socket, names
      // the exception protocol.md allows.
      if (stored.length && send.errors.length < send.attempts) {
        s.storedByUnansweredAttempt += 1;
      } else if (stored.length && input.unansweredLateStores?.has(stored[0].id)) {
        s.storedWithAnswerLost += 1;
      } else if (stored.length) {
        findings.phantom.total += 1;
        if (findings.phantom.samples.length < SAMPLES) {
          findings.phantom.samples.push({ text: send.text, sender: send.senderId, to: send.to, clientMsgId: send.clientMsgId, id: stored[0].id, answers: answers(send) });
        }
      }
    } else {
      s.unanswered += 1;
    }
  }
  for (const rows of rowsByClientKey.values()) if (rows.length > 1) findings.integrity.storedTwice += 1;
  for (const row of input.rows) {
    if (row.text === input.heartbeatText) findings.integrity.heartbeatsStored += 1;
    else if (!sendByText.has(row.text)) findings.integrity.unknownRows += 1;
  }

  // 2. Every device's receipts: duplicates, order, integrity; who got what.
  const receivedByRecipient = new Set<number>();
  const violatedConversations = new Set<string>();
  for (const device of input.devices) {
    const seen = new Set<number>();
    const highest = new Map<string, { seq: number; id: number; connection: number; at?: number }>();
    let duplicates = 0;
    let echoes = 0;
    for (const r of device.receipts) {
      const row = rowsById.get(r.id);
      if (!row) {
        findings.integrity.ghost += 1;
        continue;
      }
      if (row.text !== r.text || row.sender !== r.senderId || row.to !== r.to || (r.seq !== undefined && row.seq !== null && r.seq !== row.seq)) {
        findings.integrity.corrupted += 1;
      }
      if (device.user !== row.to && device.user !== row.sender) {
        findings.integrity.misrouted += 1;
        continue;
      }
      // Its own message: it had it before it was stored, so it is neither new nor out of order.
      if (sendByText.get(row.text)?.device === device.device) {
        echoes += 1;
        if (findings.echoes.samples.length < SAMPLES) findings.echoes.samples.push({ device: device.device, id: r.id, seq: row.seq, connection: r.connection, at: r.at });
        continue;
      }
      if (seen.has(r.id)) {
        duplicates += 1;
        continue;
      }
      seen.add(r.id);
      if (device.user === row.to) receivedByRecipient.add(r.id);
      if (row.seq === null) continue;
      const conversation = conversationOf(row.sender, row.to);
      const top = highest.get(conversation);
      if (top && row.seq < top.seq) {
        const sameConnection = top.connection === r.connection;
        findings.order.total += 1;
        findings.order[sameConnection ? 'sameConnection' : 'acrossReconnect'] += 1;
        violatedConversations.add(conversation);
        if (findings.order.samples.length < SAMPLES) {
          findings.order.samples.push({ device: device.device, conversation, id: r.id, seq: row.seq, afterId: top.id, afterSeq: top.seq, sameConnection, at: r.at, afterAt: top.at });
        }
      } else {
        highest.set(conversation, { seq: row.seq, id: r.id, connection: r.connection, at: r.at });
      }
    }
    if (echoes) {
      findings.echoes.total += echoes;
      findings.echoes.devices += 1;
    }
    if (duplicates) {
      findings.duplicates.total += duplicates;
      findings.duplicates.devices += 1;
      findings.duplicates.maxPerDevice = Math.max(findings.duplicates.maxPerDevice, duplicates);
    }
  }
  findings.order.conversations = violatedConversations.size;

  // 3. Every stored message must have reached some device of its recipient.
  for (const row of input.rows) {
    if (receivedByRecipient.has(row.id)) continue;
    findings.lost.storedNotReceived += 1;
    const send = sendByText.get(row.text);
    lostSample({
      why: 'stored, never received by the recipient',
      text: row.text,
      id: row.id,
      sender: row.sender,
      to: row.to,
      seq: row.seq,
      mode: send?.mode,
      answers: send ? answers(send) : undefined,
    });
  }
  findings.lost.total = findings.lost.ackedNotStored + findings.lost.storedNotReceived;
  return findings;
}

function answers(send: SendRecord): string {
  const parts = [`${send.attempts} attempt(s)`];
  if (send.ackIds.length) parts.push(`ack ${send.ackIds[0]}`);
  if (send.errors.length) parts.push(`errors ${send.errors.join(',')}`);
  if (send.timeouts) parts.push(`${send.timeouts} timeout(s)`);
  if (send.gaveUp) parts.push('gave up');
  if (send.history?.length) parts.push(`history: ${send.history.join(' | ')}`);
  return parts.join(', ');
}

/** What fails a run: the figures that must be zero, with a line each saying why. */
export function failuresOf(f: SoakFindings, crashes: number): string[] {
  const out: string[] = [];
  if (f.lost.total) out.push(`lost ${f.lost.total} message(s): ${f.lost.ackedNotStored} acked but not stored, ${f.lost.storedNotReceived} stored but never received`);
  if (f.order.total) out.push(`${f.order.total} order violation(s) in ${f.order.conversations} conversation(s) (${f.order.sameConnection} within one connection)`);
  if (f.phantom.total) out.push(`${f.phantom.total} phantom(s): refused with an error, stored all the same`);
  if (crashes) out.push(`${crashes} replica crash(es): a replica died without being told to`);
  const i = f.integrity;
  if (i.ghost) out.push(`${i.ghost} frame(s) delivered with an id that is not in the database`);
  if (i.misrouted) out.push(`${i.misrouted} frame(s) delivered to a user who is neither sender nor recipient`);
  if (i.corrupted) out.push(`${i.corrupted} frame(s) differ from their row (text, sender, recipient or position)`);
  if (i.storedTwice) out.push(`${i.storedTwice} send(s) stored more than once`);
  if (i.ackIdChanged) out.push(`${i.ackIdChanged} clientMsgId(s) acked with different ids`);
  if (i.unknownRows) out.push(`${i.unknownRows} stored row(s) that no send explains`);
  if (i.heartbeatsStored) out.push(`${i.heartbeatsStored} heartbeat(s) stored`);
  if (f.devicesNotConnectedAtEnd) out.push(`${f.devicesNotConnectedAtEnd} device(s) could not reconnect at the end: the receipt figures are incomplete`);
  return out;
}
