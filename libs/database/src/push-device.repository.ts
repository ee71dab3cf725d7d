import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { placeholders, SqlDialect, sqlDialect } from './sql-dialect';
import { affectedRows } from './affected-rows';

export type PushPlatform = 'fcm' | 'apns' | 'webhook';
export const PUSH_PLATFORMS: readonly PushPlatform[] = ['fcm', 'apns', 'webhook'];

export interface PushDevice {
  platform: PushPlatform;
  deviceToken: string;
  appId?: string;
}

type DeviceRow = { platform: string; device_token: string; app_id: string | null };

/** The devices push notifications go to, several per user; a token belongs to one user at a time. */
@Injectable()
export class PushDeviceRepository {
  private readonly dialect: SqlDialect;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.dialect = sqlDialect(db);
  }

  /**
   * Adds the device, or moves a known token to this user (a phone signed in to another account:
   * its previous user is no longer pushed to with it). Beyond `maxPerUser` devices the user's
   * least recently registered ones are dropped.
   */
  async register(userId: number, device: PushDevice, maxPerUser = Number.MAX_SAFE_INTEGER, now = Date.now()): Promise<void> {
    await this.db.query(
      `INSERT INTO push_device (user_id, platform, device_token, app_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)${this.dialect.upsert('device_token', {
        user_id: 'set',
        platform: 'set',
        app_id: 'set',
        updated_at: 'set',
      })}`,
      [userId, device.platform, device.deviceToken, device.appId ?? null, now, now],
    );
    const rows: { id: number | string }[] = await this.db.query('SELECT id FROM push_device WHERE user_id = ? ORDER BY updated_at DESC, id DESC', [userId]);
    const dropped = rows.slice(maxPerUser).map((r) => String(r.id));
    if (dropped.length) await this.db.query(`DELETE FROM push_device WHERE user_id = ? AND id IN (${placeholders(dropped)})`, [userId, ...dropped]);
  }

  /** Removes one of the user's devices; false when the user had no such token. */
  async remove(userId: number, deviceToken: string): Promise<boolean> {
    return (await affectedRows(this.db, 'DELETE FROM push_device WHERE device_token = ? AND user_id = ?', [deviceToken, userId])) > 0;
  }

  /** Tokens of `userId` the provider reported gone (a token another user holds is not theirs to remove). */
  async removeTokens(userId: number, deviceTokens: readonly string[]): Promise<number> {
    if (!deviceTokens.length) return 0;
    return affectedRows(this.db, `DELETE FROM push_device WHERE user_id = ? AND device_token IN (${placeholders(deviceTokens)})`, [userId, ...deviceTokens]);
  }

  /**
   * The devices of each of these users, oldest first (a user without one is absent), at most
   * `maxPerUser` each (the newest rows: only devices registered before the cap can be more).
   */
  async forUsers(userIds: readonly number[], maxPerUser = Number.MAX_SAFE_INTEGER): Promise<Map<number, PushDevice[]>> {
    const devices = new Map<number, PushDevice[]>();
    const ids = [...new Set(userIds)];
    if (!ids.length) return devices;
    const rows: (DeviceRow & { user_id: number | string })[] = await this.db.query(
      `SELECT user_id, platform, device_token, app_id FROM push_device WHERE user_id IN (${placeholders(ids)}) ORDER BY id`,
      ids,
    );
    for (const r of rows) {
      const list = devices.get(Number(r.user_id)) ?? [];
      list.push({ platform: r.platform as PushPlatform, deviceToken: r.device_token, ...(r.app_id ? { appId: r.app_id } : {}) });
      devices.set(Number(r.user_id), list);
    }
    for (const [userId, list] of devices) if (list.length > maxPerUser) devices.set(userId, list.slice(-maxPerUser));
    return devices;
  }
}
