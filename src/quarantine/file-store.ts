import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fsyncDir, writeDurably } from '../storage/durable-file.js';
import {
  decideClaim,
  finishedMeta,
  isQuarantineId,
  matchesFilter,
  QuarantineIdError,
  QuarantineLockedError,
  type ListFilter,
  type ClaimOutcome,
  type ListPage,
  type QuarantineLock,
  type QuarantineMeta,
  type QuarantineStore,
  type ReleaseClaim,
  type ReleaseOutcome,
  type StoreHealth,
} from './quarantine-store.js';

/** A temp file or orphan this old cannot belong to a write in progress. */
const STALE_MS = 10 * 60 * 1000;
/** A lock this old was left by a process that died mid-change (a release takes seconds). */
const STALE_LOCK_MS = 5 * 60 * 1000;

/**
 * The quarantine as files in `quarantine.dir`: `<id>.eml` (the message, bytes as
 * received) and `<id>.json` (metadata). The message is renamed into place first and the
 * metadata last, each written to `tmp/` and fsynced first, then the directory is fsynced:
 * an entry exists when its `.json` does, and then its `.eml` is whole. A crash leaves at
 * most an orphan `.eml` or a temp file, which no listing shows and the next start removes.
 */
export class FileQuarantineStore implements QuarantineStore {
  private readonly tmpDir: string;

  constructor(
    readonly dir: string,
    /** Recorded in release records (smtp.hostname). */
    private readonly node: string = os.hostname(),
  ) {
    this.tmpDir = path.join(dir, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o750 });
    this.sweep();
  }

  get description(): string {
    return this.dir;
  }

  /** The directory is made and swept by the constructor: nothing is left to do. */
  async open(): Promise<void> {}

  async close(): Promise<void> {}

  /** Creates and removes a file: permissions, a read-only mount and a full inode table all show. */
  async health(): Promise<StoreHealth> {
    const file = path.join(this.tmpDir, `.ready-${process.pid}-${Date.now()}`);
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.close();
      await rm(file, { force: true });
      return { ok: true, detail: `${this.dir} writable` };
    } catch (err) {
      return { ok: false, detail: `${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, problem: 'quarantine not writable' };
    }
  }

  /** Free bytes on the directory's file system, for quarantine.min_free_bytes; undefined when it cannot say. */
  async freeBytes(): Promise<number | undefined> {
    try {
      const s = await statfs(this.dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return undefined;
    }
  }

  async put(meta: QuarantineMeta, message: Buffer): Promise<void> {
    const id = checked(meta.id);
    await writeDurably(this.dir, this.tmpDir, `${id}.eml`, message);
    await writeDurably(this.dir, this.tmpDir, `${id}.json`, serialise(meta));
    await fsyncDir(this.dir);
  }

  async get(id: string): Promise<QuarantineMeta | undefined> {
    try {
      return JSON.parse(await readFile(this.file(id, 'json'), 'utf8')) as QuarantineMeta;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async raw(id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.file(id, 'eml'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(filter: ListFilter = {}): Promise<ListPage> {
    const matching = await this.matching((m) => matchesFilter(m, filter));
    matching.sort((a, b) => b.quarantined_at.localeCompare(a.quarantined_at) || a.id.localeCompare(b.id));
    const offset = Math.max(0, filter.offset ?? 0);
    const limit = Math.max(0, filter.limit ?? 50);
    return { total: matching.length, entries: matching.slice(offset, offset + limit) };
  }

  async update(id: string, meta: QuarantineMeta): Promise<void> {
    if (meta.id !== checked(id)) throw new Error(`metadata of ${meta.id} written to ${id}`);
    // A fresh temp name each time; the rename replaces the old metadata atomically.
    await writeDurably(this.dir, this.tmpDir, `${id}.json`, serialise(meta), `${id}.json.${process.pid}.${Date.now()}`);
    await fsyncDir(this.dir);
  }

  async claimRelease(id: string, claim: ReleaseClaim, force: boolean): Promise<ClaimOutcome> {
    const outcome = decideClaim(await this.get(id), claim, force, this.node);
    if (outcome.status === 'claimed') await this.update(id, outcome.meta);
    return outcome;
  }

  async finishRelease(id: string, outcome: ReleaseOutcome): Promise<void> {
    const meta = await this.get(id);
    if (meta) await this.update(id, finishedMeta(meta, outcome));
  }

  // The audit trail of the file store is the log (QuarantineAdmin's lines): `by` is not kept here.
  async delete(id: string): Promise<boolean> {
    const existed = (await this.get(id)) !== undefined;
    // Metadata first: once it is gone the entry is gone, whatever happens to the message file.
    await rm(this.file(id, 'json'), { force: true });
    await rm(this.file(id, 'eml'), { force: true });
    await fsyncDir(this.dir);
    return existed;
  }

  async purge(before: Date): Promise<string[]> {
    const gone: string[] = [];
    for (const meta of await this.matching((m) => Date.parse(m.quarantined_at) < before.getTime())) {
      const lock = await this.lock(meta.id).catch(() => undefined);
      if (!lock) continue; // being released right now: next purge
      try {
        if (await this.delete(meta.id)) gone.push(meta.id);
      } finally {
        await lock.release();
      }
    }
    return gone;
  }

  async lock(id: string): Promise<QuarantineLock> {
    const file = this.file(id, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o640);
        await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
        await handle.close();
        let released = false;
        return {
          release: async () => {
            if (released) return;
            released = true;
            await rm(file, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(file).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (attempt > 0 || age < STALE_LOCK_MS) throw new QuarantineLockedError(id);
        await rm(file, { force: true });
      }
    }
    throw new QuarantineLockedError(id);
  }

  async stats(): Promise<{ messages: number; bytes: number }> {
    const totals = { messages: 0, bytes: 0 };
    await this.each((m) => {
      totals.messages++;
      totals.bytes += m.size;
    });
    return totals;
  }

  /** The ids of the entries (those whose metadata exists), in no particular order. */
  async ids(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => n.endsWith('.json') && isQuarantineId(n.slice(0, -5))).map((n) => n.slice(0, -5));
  }

  /** The entries `keep` wants, read one file at a time: memory grows with the matches only. */
  private async matching(keep: (meta: QuarantineMeta) => boolean): Promise<QuarantineMeta[]> {
    const out: QuarantineMeta[] = [];
    await this.each((meta) => {
      if (keep(meta)) out.push(meta);
    });
    return out;
  }

  /**
   * Every entry's metadata, one after the other. Nothing keeps them all: a PPAP password mail
   * asks for one sender's entries, and with them all in memory each such mail cost the whole
   * quarantine's metadata (44 MiB at 5,700 entries in the soak run, 20 at once 328 MiB, and
   * 200,000 entries are allowed), which any sender could multiply.
   */
  private async each(visit: (meta: QuarantineMeta) => void): Promise<void> {
    for (const id of await this.ids()) {
      const meta = await this.get(id).catch(() => undefined);
      if (meta) visit(meta);
    }
  }

  private file(id: string, kind: 'eml' | 'json' | 'lock'): string {
    return path.join(this.dir, `${checked(id)}.${kind}`);
  }

  /**
   * Leftovers of a crash mid-write were never acknowledged to anyone: temp files, and a
   * message whose metadata never arrived. Only old ones: another process (a cluster
   * worker) may be writing right now.
   */
  private sweep(): void {
    const cutoff = Date.now() - STALE_MS;
    const old = (file: string) => {
      try {
        return statSync(file).mtimeMs < cutoff;
      } catch {
        return false;
      }
    };
    for (const name of readdirSync(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      if (old(file)) rmSync(file, { force: true });
    }
    const names = new Set(readdirSync(this.dir));
    for (const name of names) {
      if (!name.endsWith('.eml') || names.has(`${name.slice(0, -4)}.json`)) continue;
      const file = path.join(this.dir, name);
      if (old(file)) rmSync(file, { force: true });
    }
  }
}

function checked(id: string): string {
  if (!isQuarantineId(id)) throw new QuarantineIdError(id);
  return id;
}

function serialise(meta: QuarantineMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}
