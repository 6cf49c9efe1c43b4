import type { Finding, VerdictName } from '../core/verdict.js';
import type { ClientIdentity } from '../message/smtp-envelope.js';

/**
 * The quarantine: messages the policy held back, with everything an admin needs to judge
 * them and everything a release needs to send them on as if they had never stopped.
 * Two backends: the file store (one host, `quarantine.dir`) and PostgreSQL (many nodes,
 * `quarantine.store`), made by the one factory in create-store.ts; the proxy, the milter,
 * the CLI and the admin server see only this interface.
 */
export interface QuarantineStore {
  /** What and where it is, for log lines: a directory, or a database URL without its password. */
  readonly description: string;
  /** Gets it ready (the database schema is migrated here); idempotent. */
  open(): Promise<void>;
  /** Lets go of what it holds (database connections); no call is made after it. */
  close(): Promise<void>;
  /** Can a message be stored now? For /readyz and the store's gauge. */
  health(): Promise<StoreHealth>;
  /** Stores a message; resolves only once it is durable (the SMTP client hears 250 after this). */
  put(meta: QuarantineMeta, message: Buffer): Promise<void>;
  get(id: string): Promise<QuarantineMeta | undefined>;
  /** The message exactly as it was received. */
  raw(id: string): Promise<Buffer | undefined>;
  list(filter?: ListFilter): Promise<ListPage>;
  /** Replaces an entry's metadata; durable before it resolves. */
  update(id: string, meta: QuarantineMeta): Promise<void>;
  /**
   * Claims the release of an entry: a conditional change from held (or, with `force`,
   * from an interrupted "releasing") to "releasing" by this node, durable before it
   * resolves. Only a claim that says `claimed` may send. Called holding lock(id).
   */
  claimRelease(id: string, claim: ReleaseClaim, force: boolean): Promise<ClaimOutcome>;
  /** Ends a claimed release: released, or back to held when nothing was delivered (`failed`: the next hop's reply). */
  finishRelease(id: string, outcome: ReleaseOutcome): Promise<void>;
  /** Removes an entry; false when there was none. `by` goes into the audit trail. */
  delete(id: string, by?: string): Promise<boolean>;
  /** Removes entries quarantined before `before`; returns their ids. */
  purge(before: Date, by?: string): Promise<string[]>;
  /** Exclusive right to change one entry, across processes and nodes (CLI, admin servers, workers). */
  lock(id: string): Promise<QuarantineLock>;
  /** Count and total size of the messages held (every node's, for a shared store). */
  stats(): Promise<{ messages: number; bytes: number }>;
  /** Who did what to an entry, oldest first, where the store keeps an audit trail. */
  history?(id: string): Promise<AuditEvent[]>;
}

export interface StoreHealth {
  readonly ok: boolean;
  /** For the admin: paths, addresses. */
  readonly detail: string;
  /** When not ok, what is wrong in words that name no path or address (public /readyz). */
  readonly problem?: string;
}

/** What a release claims: when, by whom, to whom. The store adds which node. */
export interface ReleaseClaim {
  readonly at: string;
  readonly by: string;
  readonly to: readonly string[];
}

export type ReleaseOutcome = { readonly released: ReleaseRecord } | { readonly failed: string; readonly by: string };

export type ClaimOutcome =
  | { readonly status: 'claimed'; readonly meta: QuarantineMeta }
  | { readonly status: 'already-released'; readonly meta: QuarantineMeta }
  | { readonly status: 'in-doubt'; readonly meta: QuarantineMeta }
  | { readonly status: 'not-found' };

/** One line of an entry's audit trail. */
export interface AuditEvent {
  readonly at: string;
  readonly action: 'release-claimed' | 'released' | 'release-failed' | 'deleted' | 'purged';
  readonly by: string;
  readonly node: string;
  readonly detail?: Record<string, unknown>;
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
  /** The node that sent it (smtp.hostname), so an interrupted release says where to look. */
  readonly node?: string;
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

/**
 * What the sender, recipient and free-text filters search, lower-cased: the envelope
 * sender and the From header; each recipient; subject, sender, recipients, id, reason and
 * finding codes. One definition for both backends (PostgreSQL stores these strings).
 */
export function searchTexts(meta: QuarantineMeta): { sender: string; recipients: string[]; text: string } {
  const text = [meta.id, meta.subject, meta.from, meta.mail_from, ...meta.rcpt_to, meta.reason, ...meta.findings.map((x) => `${x.detector}/${x.code}`)].join(' ');
  return { sender: `${meta.mail_from} ${meta.from}`.toLowerCase(), recipients: meta.rcpt_to.map((r) => r.toLowerCase()), text: text.toLowerCase() };
}

export function matchesFilter(meta: QuarantineMeta, f: ListFilter): boolean {
  const at = Date.parse(meta.quarantined_at);
  if (f.since && at < f.since.getTime()) return false;
  if (f.until && at >= f.until.getTime()) return false;
  if (f.verdict && meta.verdict !== f.verdict) return false;
  if (f.released !== undefined && (meta.release?.state === 'released') !== f.released) return false;
  if (!f.sender && !f.recipient && !f.text) return true;
  const hay = searchTexts(meta);
  if (f.sender && !hay.sender.includes(f.sender.toLowerCase())) return false;
  const recipient = f.recipient?.toLowerCase();
  if (recipient && !hay.recipients.some((r) => r.includes(recipient))) return false;
  if (f.text && !hay.text.includes(f.text.toLowerCase())) return false;
  return true;
}

/**
 * The claim rule of claimRelease on an entry's current metadata, for a store that reads,
 * decides and writes under lock(id): released stays released, an interrupted release is
 * in doubt unless forced, anything else becomes "releasing" by `node`.
 */
export function decideClaim(meta: QuarantineMeta | undefined, claim: ReleaseClaim, force: boolean, node: string): ClaimOutcome {
  if (!meta) return { status: 'not-found' };
  if (meta.release?.state === 'released') return { status: 'already-released', meta };
  if (meta.release?.state === 'releasing' && !force) return { status: 'in-doubt', meta };
  return { status: 'claimed', meta: { ...meta, release: { state: 'releasing', at: claim.at, by: claim.by, node, to: [...claim.to] } } };
}

/** The metadata after a claimed release ended: released, or held again. */
export function finishedMeta(meta: QuarantineMeta, outcome: ReleaseOutcome): QuarantineMeta {
  if ('released' in outcome) return { ...meta, release: outcome.released };
  const { release: _dropped, ...rest } = meta;
  return rest;
}
