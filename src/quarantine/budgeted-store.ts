import type { AuditEvent, ClaimOutcome, ListFilter, ListPage, QuarantineLock, QuarantineMeta, QuarantineStore, ReleaseClaim, ReleaseOutcome, StoreHealth } from './quarantine-store.js';

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

/** Free space is read at most this often (a statfs per message would be wasted under a flood). */
const FREE_SPACE_CACHE_MS = 5000;

/** What the budget needs to know of the store below it, besides the store itself. */
export interface BudgetOptions {
  /**
   * How long the totals read from the store are trusted, counting this process's own puts
   * and deletes meanwhile. Long for the file store (a directory scan), short for PostgreSQL
   * (a count over an index, and other nodes write too).
   */
  readonly totalsMaxAgeMs: number;
  /** Free bytes where the messages are written (statfs), when that is on this host. */
  readonly freeBytes?: () => Promise<number | undefined>;
}

/**
 * The quarantine with a quota, over either backend: a flood of macro mail must not fill
 * the disk the MTA (or the database) keeps its data on. Totals are read from the store and
 * kept up to date by this process's own puts and deletes until they are re-read (every
 * few minutes for files, every few seconds from PostgreSQL, and after a purge), so a put
 * costs no directory scan; free space, where it is local, comes from statfs, cached for
 * seconds. Everything but `put` passes through.
 */
export class BudgetedQuarantineStore implements QuarantineStore {
  private totals: { messages: number; bytes: number } | undefined;
  private totalsAt = 0;
  private free: { at: number; bytes: number } | undefined;

  constructor(
    readonly inner: QuarantineStore,
    private limits: QuarantineLimits,
    private readonly options: BudgetOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get description(): string {
    return this.inner.description;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The store's own health, and below the free-space floor not healthy either (a full disk still lets an empty file be made). */
  async health(): Promise<StoreHealth> {
    const [own, space] = await Promise.all([this.inner.health(), this.freeSpace()]);
    return own.ok && !space.ok ? space : own;
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

  claimRelease(id: string, claim: ReleaseClaim, force: boolean): Promise<ClaimOutcome> {
    return this.inner.claimRelease(id, claim, force);
  }

  finishRelease(id: string, outcome: ReleaseOutcome): Promise<void> {
    return this.inner.finishRelease(id, outcome);
  }

  history(id: string): Promise<AuditEvent[]> {
    return this.inner.history?.(id) ?? Promise.resolve([]);
  }

  async delete(id: string, by?: string): Promise<boolean> {
    const meta = await this.inner.get(id);
    const existed = await this.inner.delete(id, by);
    if (existed && meta && this.totals) this.totals = { messages: Math.max(0, this.totals.messages - 1), bytes: Math.max(0, this.totals.bytes - meta.size) };
    return existed;
  }

  async purge(before: Date, by?: string): Promise<string[]> {
    const gone = await this.inner.purge(before, by);
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
    if (!this.totals || this.now() - this.totalsAt > this.options.totalsMaxAgeMs) {
      // Puts that arrive together (a flood, just when the quota matters) share one read of
      // the store: on the file store each read is a scan of the whole directory.
      this.reading ??= this.stats().finally(() => (this.reading = undefined));
      return this.reading;
    }
    return this.totals;
  }

  private reading: Promise<{ messages: number; bytes: number }> | undefined;

  private async freeBytes(): Promise<number | undefined> {
    if (!this.options.freeBytes) return undefined;
    const now = this.now();
    if (this.free && now - this.free.at < FREE_SPACE_CACHE_MS) return this.free.bytes;
    // A file system that cannot say: the write itself will tell (and tempfail).
    const bytes = await this.options.freeBytes();
    if (bytes === undefined) return undefined;
    this.free = { at: now, bytes };
    return bytes;
  }
}
