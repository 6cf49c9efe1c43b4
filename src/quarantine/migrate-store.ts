import { createHash } from 'node:crypto';
import type { FileQuarantineStore } from './file-store.js';
import type { PostgresQuarantineStore } from './postgres-store.js';

/** How one entry fared. */
export type EntryMigration =
  | { readonly id: string; readonly result: 'copied' | 'already-there' }
  /** Not copied: the source is incomplete or does not match its own SHA-256, or the target holds other bytes under the id. */
  | { readonly id: string; readonly result: 'failed'; readonly problem: string };

export interface MigrationSummary {
  readonly entries: number;
  readonly copied: number;
  readonly alreadyThere: number;
  readonly failed: ReadonlyArray<{ readonly id: string; readonly problem: string }>;
}

/** Entries copied at once: a few round trips in flight hide the latency, more only load the server. */
const PARALLEL = 4;

/**
 * Copies a file quarantine into PostgreSQL, entry by entry, verifying SHA-256 on both
 * sides: the source's bytes against the hash recorded at quarantine time, and the
 * database's stored bytes (hashed by the server) against the same hash. Idempotent and
 * resumable: an entry the database already holds with the same hash is skipped, so an
 * interrupted run is simply started again; one it holds with other bytes is reported,
 * never overwritten. Release records come along, so a released message stays released.
 */
export async function migrateFileStore(from: FileQuarantineStore, to: PostgresQuarantineStore, onEntry: (e: EntryMigration) => void = () => undefined): Promise<MigrationSummary> {
  const ids = await from.ids();
  let next = 0;
  let copied = 0;
  let alreadyThere = 0;
  const failed: Array<{ id: string; problem: string }> = [];
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const outcome = await migrateEntry(from, to, id).catch((err: unknown): EntryMigration => ({ id, result: 'failed', problem: (err as Error).message }));
      if (outcome.result === 'copied') copied++;
      else if (outcome.result === 'already-there') alreadyThere++;
      else if (outcome.result === 'failed') failed.push({ id, problem: outcome.problem });
      onEntry(outcome);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return { entries: ids.length, copied, alreadyThere, failed };
}

async function migrateEntry(from: FileQuarantineStore, to: PostgresQuarantineStore, id: string): Promise<EntryMigration> {
  const meta = await from.get(id);
  const raw = meta && (await from.raw(id));
  if (!meta || !raw) return { id, result: 'failed', problem: 'incomplete in the file store (no message file)' };
  const sha256 = createHash('sha256').update(raw).digest('hex');
  if (sha256 !== meta.sha256) return { id, result: 'failed', problem: `the message file does not match its recorded SHA-256 (${meta.sha256.slice(0, 12)}…, file ${sha256.slice(0, 12)}…)` };
  if (raw.length !== meta.size) return { id, result: 'failed', problem: `the message file has ${raw.length} bytes, its metadata says ${meta.size}` };
  const before = await storedHash(to, id);
  if (before === undefined) {
    await to.put(meta, raw);
  } else if (before !== sha256) {
    return { id, result: 'failed', problem: 'the database holds other bytes under this id: left alone' };
  } else {
    return { id, result: 'already-there' };
  }
  const after = await storedHash(to, id);
  if (after !== sha256) return { id, result: 'failed', problem: 'the copy in the database does not match the SHA-256' };
  return { id, result: 'copied' };
}

/** The SHA-256 of the bytes the database holds under `id`, computed by the server (no copy comes back). */
async function storedHash(to: PostgresQuarantineStore, id: string): Promise<string | undefined> {
  const { rows } = await to.query<{ sha256: string }>(`SELECT encode(sha256(bytes), 'hex') AS sha256 FROM quarantine_message WHERE entry_id = $1`, [id]);
  return rows[0]?.sha256;
}
