import { Readable } from 'node:stream';

/** A stored file opened for reading. */
export interface StoredFileStream {
  stream: Readable;
  size: number;
}

/**
 * Where uploaded files live. Implementations are all-or-nothing: `write` either stores the
 * complete stream under `name` or, when the source stream errors or ends badly, leaves nothing
 * under any name. Names are chosen by the caller and checked with `assertStorableName`.
 *
 * Used as the Nest injection token too (an abstract class survives compilation).
 */
export abstract class FileStorage {
  /** Stores `source` under `name`; rejects (and stores nothing) when `source` errors. */
  abstract write(name: string, source: Readable, contentType: string): Promise<{ size: number }>;
  /** Opens a stored file, or resolves null when there is none under `name`. */
  abstract open(name: string): Promise<StoredFileStream | null>;
  /** Removes a stored file; removing a missing file is not an error. */
  abstract delete(name: string): Promise<void>;
  /** A short human description for logs, e.g. `local directory ./data/uploads`. */
  abstract describe(): string;
  /** Readiness: resolves with details when the storage can take files, rejects otherwise. */
  abstract check(): Promise<Record<string, unknown>>;
  /** Releases connections at shutdown. */
  async close(): Promise<void> {}
}

// Storage-level guard, independent of the image name pattern: a plain file name, no separators,
// no leading dot (temporary files start with one), bounded length.
const STORABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)?$/;

export class InvalidStorageNameError extends Error {
  constructor(name: string) {
    super(`invalid storage name ${JSON.stringify(name.slice(0, 80))}`);
    this.name = 'InvalidStorageNameError';
  }
}

export function assertStorableName(name: string): void {
  if (name.length === 0 || name.length > 128 || !STORABLE_NAME.test(name)) throw new InvalidStorageNameError(name);
}
