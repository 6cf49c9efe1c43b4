import type { Logger } from '../log/logger.js';
import type { QuarantineStore } from './quarantine-store.js';
import { releaseMessage, type ReleaseResult, type ReleaseTransport } from './release.js';

export interface ReleaseOptions {
  /** Who: "cli:alice", "api", "web". */
  readonly by: string;
  readonly recipients?: readonly string[];
  readonly force?: boolean;
  /**
   * The header put on the released message: by default X-Sekisho-Released-By when
   * quarantine.release_header is on; this one instead (PPAP's X-Sekisho-PPAP), or none.
   */
  readonly header?: { readonly name: string; readonly value: string } | false;
}

/** What an admin's password did to an entry awaiting one (PPAP, docs/ppap.md). */
export type OpenResult = 'released' | 'kept' | 'wrong-password' | 'expired' | 'error' | 'not-awaiting';

/**
 * What admins do to the quarantine — release, delete, purge — with one audit log line
 * each, shared by the CLI, the HTTP API and the web page so that all three behave and are
 * recorded alike.
 */
export class QuarantineAdmin {
  constructor(
    readonly store: QuarantineStore,
    private readonly nextHop: () => ReleaseTransport,
    private readonly settings: () => { readonly releaseHeader: boolean },
    private readonly logger: Logger,
    /** Called after each change, for metrics. */
    private readonly onChange: (event: 'released' | 'deleted' | 'purged', count: number) => void = () => undefined,
  ) {}

  private opener: ((id: string, password: string, by: string) => Promise<OpenResult>) | undefined;

  /** PPAP: opening an entry with a password rescans it (in an inspection worker) and releases it if clean. */
  attachOpener(opener: (id: string, password: string, by: string) => Promise<OpenResult>): void {
    this.opener = opener;
  }

  get canOpen(): boolean {
    return this.opener !== undefined;
  }

  /** An admin's password for an entry awaiting one; the audit line is the pairing's (no password in it). */
  async open(id: string, password: string, by: string): Promise<OpenResult> {
    if (!this.opener) throw new Error('opening entries with a password is not available in this process');
    return this.opener(id, password, by);
  }

  async release(id: string, options: ReleaseOptions): Promise<ReleaseResult> {
    const result = await releaseMessage(this.store, this.nextHop(), id, {
      by: options.by,
      recipients: options.recipients,
      force: options.force,
      header: options.header === undefined ? (this.settings().releaseHeader ? 'released-by' : undefined) : options.header || undefined,
    });
    const record: Record<string, unknown> = { event: 'quarantine-release', id, by: options.by, result: result.status };
    if (result.status === 'released') {
      record['to'] = result.meta.release?.to;
      record['reply'] = result.reply;
      if (result.refused.length > 0) record['refused'] = result.refused;
      this.onChange('released', 1);
    } else if (result.status === 'failed') {
      record['reply'] = result.reply;
    }
    (result.status === 'released' || result.status === 'already-released' ? this.logger.info : this.logger.warn).call(this.logger, record, 'quarantine release');
    return result;
  }

  async delete(id: string, by: string): Promise<boolean> {
    const lock = await this.store.lock(id);
    try {
      const existed = await this.store.delete(id, by);
      this.logger.info({ event: 'quarantine-delete', id, by, result: existed ? 'deleted' : 'not-found' }, 'quarantine delete');
      if (existed) this.onChange('deleted', 1);
      return existed;
    } finally {
      await lock.release();
    }
  }

  async purge(before: Date, by: string): Promise<string[]> {
    const ids = await this.store.purge(before, by);
    this.logger.info({ event: 'quarantine-purge', by, before: before.toISOString(), count: ids.length }, 'quarantine purge');
    if (ids.length > 0) this.onChange('purged', ids.length);
    return ids;
  }
}
