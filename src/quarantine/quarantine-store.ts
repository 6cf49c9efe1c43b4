import type { Finding, VerdictName } from '../core/verdict.js';
import type { ClientIdentity } from '../message/smtp-envelope.js';

/**
 * The quarantine: messages the policy held back, with everything an admin needs to judge
 * them and everything a release needs to send them on as if they had never stopped.
 * A store interface, so that another backend (a database, object storage) can replace
 * the file store without touching the proxy, the CLI or the admin server.
 */
export interface QuarantineStore {
  /** Stores a message; resolves only once it is durable (the SMTP client hears 250 after this). */
  put(meta: QuarantineMeta, message: Buffer): Promise<void>;
  get(id: string): Promise<QuarantineMeta | undefined>;
  /** The message exactly as it was received. */
  raw(id: string): Promise<Buffer | undefined>;
  list(filter?: ListFilter): Promise<ListPage>;
  /** Replaces an entry's metadata (release state); durable before it resolves. */
  update(id: string, meta: QuarantineMeta): Promise<void>;
  /** Removes an entry; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Removes entries quarantined before `before`; returns their ids. */
  purge(before: Date): Promise<string[]>;
  /** Exclusive right to change one entry, across processes (CLI, admin server, workers). */
  lock(id: string): Promise<QuarantineLock>;
  /** Count and total size of the messages held. */
  stats(): Promise<{ messages: number; bytes: number }>;
}

export interface QuarantineLock {
  release(): Promise<void>;
}

/** What is kept beside each message. Field names are snake_case: it is the file format. */
export interface QuarantineMeta {
  readonly id: string;
  readonly received_at: string;
  readonly quarantined_at: string;
  readonly mail_from: string;
  readonly rcpt_to: readonly string[];
  readonly mail_params: { readonly body?: string; readonly smtputf8?: boolean; readonly ret?: string; readonly envid?: string };
  readonly rcpt_params: ReadonlyArray<{ readonly notify?: readonly string[]; readonly orcpt?: string }>;
  readonly client: ClientIdentity;
  readonly size: number;
  readonly sha256: string;
  /** Decoded Subject and From, for lists and search (Japanese shown as Japanese). */
  readonly subject: string;
  readonly from: string;
  readonly verdict: VerdictName;
  readonly score: number;
  readonly findings: readonly Finding[];
  /** Why the policy held it: the deciding finding or rule. */
  readonly reason: string;
  readonly release?: ReleaseRecord;
  /** PPAP: held until a password stated by a later mail opens the archive (docs/ppap.md). */
  readonly ppap?: PpapState;
}

/** Where an entry the policy held with `await-password` stands. Never holds a password. */
export interface PpapState {
  /** awaiting: within the window; released/kept: a password opened it and the policy decided; expired: plain quarantine. */
  readonly state: 'awaiting' | 'released' | 'kept' | 'expired';
  /** End of the window (ISO). */
  readonly until: string;
  /** Lower-case addresses a password mail must come from (envelope sender; From too when ppap.match_header_from). */
  readonly senders: readonly string[];
  readonly attempts: readonly PpapAttempt[];
}

export interface PpapAttempt {
  readonly at: string;
  readonly result: 'released' | 'kept' | 'wrong-password' | 'expired' | 'error';
  /** Message-ID of the mail whose password was tried, or who typed one ("admin:web"). */
  readonly source: string;
}

export interface ReleaseRecord {
  /**
   * "releasing": a release started and did not record its end (a crash mid-send): whether
   * the next hop got the message is unknown, so it is not sent again without --force.
   */
  readonly state: 'releasing' | 'released';
  readonly at: string;
  readonly by: string;
  readonly to: readonly string[];
  /** The next hop's final reply. */
  readonly reply?: string;
}

export interface ListFilter {
  /** Quarantined at or after / before. */
  readonly since?: Date;
  readonly until?: Date;
  /** Substring of the envelope sender or the From header, case-insensitive. */
  readonly sender?: string;
  /** Substring of a recipient, case-insensitive. */
  readonly recipient?: string;
  readonly verdict?: VerdictName;
  /** Free text: subject, sender, recipients, id, finding codes. */
  readonly text?: string;
  readonly released?: boolean;
  readonly offset?: number;
  readonly limit?: number;
}

export interface ListPage {
  /** Entries matching the filter, before paging. */
  readonly total: number;
  /** Newest first. */
  readonly entries: readonly QuarantineMeta[];
}

/**
 * Quarantine ids are the transaction ids of the proxy: 128 random bits in lower-case
 * base32. Anything else is refused before it comes near a file name ("../x").
 */
export const QUARANTINE_ID = /^[a-z2-7]{26}$/;

export function isQuarantineId(id: string): boolean {
  return QUARANTINE_ID.test(id);
}

export class QuarantineIdError extends Error {
  constructor(readonly id: string) {
    super(`not a quarantine id: ${JSON.stringify(id.slice(0, 64))}`);
    this.name = 'QuarantineIdError';
  }
}

export class QuarantineLockedError extends Error {
  constructor(readonly id: string) {
    super(`quarantine entry ${id} is being changed by someone else`);
    this.name = 'QuarantineLockedError';
  }
}

export function matchesFilter(meta: QuarantineMeta, f: ListFilter): boolean {
  const at = Date.parse(meta.quarantined_at);
  if (f.since && at < f.since.getTime()) return false;
  if (f.until && at >= f.until.getTime()) return false;
  if (f.verdict && meta.verdict !== f.verdict) return false;
  if (f.released !== undefined && (meta.release?.state === 'released') !== f.released) return false;
  const has = (hay: string, needle: string) => hay.toLowerCase().includes(needle.toLowerCase());
  if (f.sender && !has(`${meta.mail_from} ${meta.from}`, f.sender)) return false;
  if (f.recipient && !meta.rcpt_to.some((r) => has(r, f.recipient ?? ''))) return false;
  if (f.text) {
    const hay = [meta.id, meta.subject, meta.from, meta.mail_from, ...meta.rcpt_to, meta.reason, ...meta.findings.map((x) => `${x.detector}/${x.code}`)].join(' ');
    if (!has(hay, f.text)) return false;
  }
  return true;
}
