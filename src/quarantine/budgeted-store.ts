import { statfs } from 'node:fs/promises';
import type { ListFilter, ListPage, QuarantineLock, QuarantineMeta, QuarantineStore } from './quarantine-store.js';

/** The quarantine's limits (quarantine.max_bytes, max_messages, min_free_bytes). */
export interface QuarantineLimits {
  readonly maxBytes: number;
  readonly maxMessages: number;
  /** Free space to leave on the quarantine's file system: the MTA, logs and the OS need it too. */
  readonly minFreeBytes: number;
}

export type QuarantineFullReason = 'max-bytes' | 'max-messages' | 'free-space';

/**
 * A message the policy would quarantine does not fit: the caller answers 451 4.3.1 and the
 * sender keeps it (never dropped, never passed).
 */
export class QuarantineFullError extends Error {
  constructor(
    readonly reason: QuarantineFullReason,
    message: string,
  ) {
    super(message);
    this.name = 'QuarantineFullError';
  }
}

/** Re-read the store's totals this often: deletes by the CLI or another process are seen then. */
const RESYNC_MS = 5 * 60 * 1000;
/** Free space is read at most this often (a statfs per message would be wasted under a flood). */
const FREE_SPACE_CACHE_MS = 5000;

/**
 * The quarantine with a quota: a flood of macro mail must not fill the disk the MTA queues
 * on. Totals are read from the store once and kept up to date by this process's own puts
 * and deletes (re-read every few minutes and after a purge), so a put costs no directory
 * scan; free space comes from statfs, cached for seconds. Everything but `put` passes through.
 */
export class BudgetedQuarantineStore implements QuarantineStore {
  private totals: { messages: number; bytes: number } | undefined;
  private totalsAt = 0;
  private free: { at: number; bytes: number } | undefined;

  constructor(
    readonly inner: QuarantineStore & { readonly dir: string },
    private limits: QuarantineLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get dir(): string {
    return this.inner.dir;
  }

  setLimits(limits: QuarantineLimits): void {
    this.limits = limits;
  }

  /**
   * Whether a message of `size` bytes fits now; throws QuarantineFullError when it does not.
   * Also what /readyz asks (size 0): below the free-space floor the node is not ready.
   */
  async reserve(size: number): Promise<void> {
    const totals = await this.currentTotals();
    const { maxBytes, maxMessages, minFreeBytes } = this.limits;
    if (size > 0 && totals.messages + 1 > maxMessages) throw new QuarantineFullError('max-messages', `the quarantine holds ${totals.messages} messages (quarantine.max_messages ${maxMessages})`);
    if (totals.bytes + size > maxBytes) throw new QuarantineFullError('max-bytes', `the quarantine holds ${totals.bytes} bytes (quarantine.max_bytes ${maxBytes})`);
    const free = await this.freeBytes();
    if (free !== undefined && free - size < minFreeBytes) throw new QuarantineFullError('free-space', `${free} bytes free on the quarantine's file system (quarantine.min_free_bytes ${minFreeBytes})`);
  }

  /** For /readyz: is the quarantine's file system above the free-space floor? */
  async freeSpace(): Promise<{ ok: boolean; detail: string; problem?: string }> {
    const free = await this.freeBytes();
    if (free === undefined) return { ok: true, detail: 'free space unknown' };
    const detail = `${free} bytes free on the quarantine's file system (floor ${this.limits.minFreeBytes})`;
    return free < this.limits.minFreeBytes ? { ok: false, detail, problem: 'low disk space for the quarantine' } : { ok: true, detail };
  }

  async put(meta: QuarantineMeta, message: Buffer): Promise<void> {
    await this.reserve(message.length);
    await this.inner.put(meta, message);
    if (this.totals) this.totals = { messages: this.totals.messages + 1, bytes: this.totals.bytes + message.length };
    if (this.free) this.free = { ...this.free, bytes: this.free.bytes - message.length };
  }

  get(id: string): Promise<QuarantineMeta | undefined> {
    return this.inner.get(id);
  }

  raw(id: string): Promise<Buffer | undefined> {
    return this.inner.raw(id);
  }

  list(filter?: ListFilter): Promise<ListPage> {
    return this.inner.list(filter);
  }

  update(id: string, meta: QuarantineMeta): Promise<void> {
    return this.inner.update(id, meta);
  }

  async delete(id: string): Promise<boolean> {
    const meta = await this.inner.get(id);
    const existed = await this.inner.delete(id);
    if (existed && meta && this.totals) this.totals = { messages: Math.max(0, this.totals.messages - 1), bytes: Math.max(0, this.totals.bytes - meta.size) };
    return existed;
  }

  async purge(before: Date): Promise<string[]> {
    const gone = await this.inner.purge(before);
    if (gone.length > 0) this.totals = undefined;
    return gone;
  }

  lock(id: string): Promise<QuarantineLock> {
    return this.inner.lock(id);
  }

  async stats(): Promise<{ messages: number; bytes: number }> {
    const s = await this.inner.stats();
    this.totals = s;
    this.totalsAt = this.now();
    return s;
  }

  private async currentTotals(): Promise<{ messages: number; bytes: number }> {
    if (!this.totals || this.now() - this.totalsAt > RESYNC_MS) return this.stats();
    return this.totals;
  }

  private async freeBytes(): Promise<number | undefined> {
    const now = this.now();
    if (this.free && now - this.free.at < FREE_SPACE_CACHE_MS) return this.free.bytes;
    try {
      const s = await statfs(this.inner.dir);
      this.free = { at: now, bytes: Number(s.bavail) * Number(s.bsize) };
      return this.free.bytes;
    } catch {
      // A file system that cannot say: the write itself will tell (and tempfail).
      return undefined;
    }
  }
}
