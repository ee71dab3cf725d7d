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

  /** Adds the device, or moves a known token to this user (a phone signed in to another account). */
  async register(userId: number, device: PushDevice, now = Date.now()): Promise<void> {
    await this.db.query(
      `INSERT INTO push_device (user_id, platform, device_token, app_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)${this.dialect.upsert('device_token', {
        user_id: 'set',
        platform: 'set',
        app_id: 'set',
        updated_at: 'set',
      })}`,
      [userId, device.platform, device.deviceToken, device.appId ?? null, now, now],
    );
  }

  /** Removes one of the user's devices; false when the user had no such token. */
  async remove(userId: number, deviceToken: string): Promise<boolean> {
    return (await affectedRows(this.db, 'DELETE FROM push_device WHERE device_token = ? AND user_id = ?', [deviceToken, userId])) > 0;
  }

  /** Tokens the provider reported gone, whoever holds them. */
  async removeTokens(deviceTokens: readonly string[]): Promise<number> {
    if (!deviceTokens.length) return 0;
    return affectedRows(this.db, `DELETE FROM push_device WHERE device_token IN (${placeholders(deviceTokens)})`, [...deviceTokens]);
  }

  /** The devices of each of these users, oldest first (a user without one is absent). */
  async forUsers(userIds: readonly number[]): Promise<Map<number, PushDevice[]>> {
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
    return devices;
  }
}
