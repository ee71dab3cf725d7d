import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { resolve, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertStorableName, FileStorage, StoredFileStream } from './file-storage.interface';

export interface LocalFileStorageOptions {
  /** Directory holding the files; created when missing. */
  directory: string;
  /** Temporary files older than this are swept at start (left by a crash). Default one hour. */
  staleTempAgeMs?: number;
}

const TEMP_SUFFIX = '.part';

/**
 * Files in one local directory. A write goes to a hidden temporary file (`.<name>.<rand>.part`)
 * that is renamed into place only after the source ended cleanly, so a reader never sees a partial
 * file and a failed write leaves nothing (the temporary file is removed).
 */
export class LocalFileStorage extends FileStorage {
  readonly directory: string;
  private readonly staleTempAgeMs: number;
  private ready?: Promise<void>;

  constructor(options: LocalFileStorageOptions) {
    super();
    this.directory = resolve(options.directory);
    this.staleTempAgeMs = options.staleTempAgeMs ?? 60 * 60 * 1000;
  }

  /** Creates the directory and sweeps stale temporary files. Idempotent; `write` calls it too. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.directory, { recursive: true });
      await this.sweepStaleTemps();
    })();
    return this.ready;
  }

  describe(): string {
    return `local directory ${this.directory}`;
  }

  async check(): Promise<Record<string, unknown>> {
    await this.init();
    await access(this.directory, constants.W_OK);
    return { storage: 'local', directory: this.directory };
  }

  // The content type is implied by the extension here; the serving side maps it back.
  async write(name: string, source: Readable, _contentType?: string): Promise<{ size: number }> {
    const target = this.pathOf(name);
    await this.init();
    const temp = join(this.directory, `.${name}.${randomUUID().slice(0, 8)}${TEMP_SUFFIX}`);
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o644, highWaterMark: 64 * 1024 });
    try {
      await pipeline(source, out);
      await rename(temp, target);
      return { size: out.bytesWritten };
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  async open(name: string): Promise<StoredFileStream | null> {
    const path = this.pathOf(name);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return null;
      }
      // The stream owns the handle from here and closes it when done or destroyed.
      return { stream: handle.createReadStream({ autoClose: true }), size: info.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await unlink(this.pathOf(name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private pathOf(name: string): string {
    assertStorableName(name);
    const path = join(this.directory, name);
    // Belt and braces: the name check already forbids separators.
    if (!path.startsWith(this.directory + sep)) throw new Error('path escapes the storage directory');
    return path;
  }

  private async sweepStaleTemps(): Promise<void> {
    const cutoff = Date.now() - this.staleTempAgeMs;
    for (const entry of await readdir(this.directory)) {
      if (!entry.startsWith('.') || !entry.endsWith(TEMP_SUFFIX)) continue;
      const path = join(this.directory, entry);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await unlink(path).catch(() => undefined);
    }
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
