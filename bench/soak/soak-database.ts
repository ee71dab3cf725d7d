import { createConnection, Connection, RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import type { StoredRow } from './checker';

/**
 * The run's own MariaDB database, reached directly (the replicas go through the cuttable proxy):
 * created empty (the first replica migrates it), filled with users, read back by the checker,
 * dropped at the end.
 */
export class SoakDatabase {
  private constructor(
    private readonly admin: Connection,
    readonly name: string,
    private readonly serverUrl: string,
  ) {}

  static async create(serverUrl: string, name: string): Promise<SoakDatabase> {
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
    const admin = await createConnection({ uri: serverUrl, connectTimeout: 5000 });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    return new SoakDatabase(admin, name, serverUrl);
  }

  /** The database's URL for the gateway (DATABASE_URL). */
  get url(): string {
    return `${this.serverUrl.replace(/\/$/, '')}/${this.name}`;
  }

  /** Inserts `count` users (the migrations must have run) and returns their ids in order. */
  async addUsers(count: number, firstPhone: number): Promise<number[]> {
    const ids: number[] = [];
    for (let done = 0; done < count; done += 500) {
      const rows = Array.from({ length: Math.min(500, count - done) }, (_, i) => {
        const phone = String(firstPhone + done + i);
        return [`压测用户${phone.slice(-4)}`, phone, '2026-01-01 00:00:00', '2026-01-01 00:00:00'];
      });
      const [result] = await this.admin.query<ResultSetHeader>(
        `INSERT INTO \`${this.name}\`.\`user\` (name, phone, create_time, update_time) VALUES ?`,
        [rows],
      );
      for (let i = 0; i < result.affectedRows; i++) ids.push(result.insertId + i);
    }
    return ids;
  }

  /** Every message to or from the run's users. */
  async messages(userIds: readonly number[]): Promise<StoredRow[]> {
    const [rows] = await this.admin.query<RowDataPacket[]>(
      `SELECT id, sender, \`to\`, text, seq, client_msg_id FROM \`${this.name}\`.\`message\` WHERE sender IN (?) OR \`to\` IN (?) ORDER BY id`,
      [userIds, userIds],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      sender: Number(r.sender),
      to: Number(r.to),
      text: String(r.text ?? ''),
      seq: r.seq === null || r.seq === undefined ? null : Number(r.seq),
      clientMsgId: r.client_msg_id === null || r.client_msg_id === undefined ? null : String(r.client_msg_id),
    }));
  }

  async close(drop: boolean): Promise<void> {
    try {
      if (drop) await this.admin.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    } finally {
      await this.admin.end();
    }
  }
}
