import type { Finding, VerdictName } from '../core/verdict.js';
import { searchTexts, type ListFilter, type QuarantineMeta, type ReleaseRecord } from './quarantine-store.js';

/**
 * Between QuarantineMeta and the rows of postgres-schema.ts: the values of an insert, the
 * metadata of a row, and the WHERE clause of a list filter.
 */

/** The entry's columns and its findings (in their order), for get and list. */
export const ENTRY_SELECT = `SELECT e.id, e.quarantined_at, e.received_at, e.mail_from, e.rcpt_to, e.envelope, e.size, e.sha256,
    e.subject, e.from_header, e.verdict, e.score, e.reason, e.state, e.release, e.extra,
    COALESCE((SELECT jsonb_agg(jsonb_build_object('detector', f.detector, 'code', f.code, 'severity', f.severity,
        'summary', f.summary, 'evidence', f.evidence) ORDER BY f.ordinal)
      FROM quarantine_finding f WHERE f.entry_id = e.id), '[]'::jsonb) AS findings
  FROM quarantine_entry e`;

export interface EntryRow {
  readonly id: string;
  readonly quarantined_at: Date;
  readonly received_at: Date;
  readonly mail_from: string;
  readonly rcpt_to: string[];
  readonly envelope: Pick<QuarantineMeta, 'mail_params' | 'rcpt_params' | 'client'>;
  /** bigint arrives as a string. */
  readonly size: string;
  readonly sha256: string;
  readonly subject: string;
  readonly from_header: string;
  readonly verdict: VerdictName;
  readonly score: number;
  readonly reason: string;
  readonly state: 'held' | 'releasing' | 'released';
  readonly release: Omit<ReleaseRecord, 'state'> | null;
  readonly extra: Record<string, unknown>;
  readonly findings: Finding[];
}

/** Metadata fields with columns (or tables) of their own; the rest go into `extra`. */
const COLUMN_FIELDS = new Set([
  'id',
  'received_at',
  'quarantined_at',
  'mail_from',
  'rcpt_to',
  'mail_params',
  'rcpt_params',
  'client',
  'size',
  'sha256',
  'subject',
  'from',
  'verdict',
  'score',
  'findings',
  'reason',
  'release',
]);

export function metaOfRow(row: EntryRow): QuarantineMeta {
  const meta: QuarantineMeta = {
    ...(row.extra as Partial<QuarantineMeta>),
    id: row.id,
    received_at: row.received_at.toISOString(),
    quarantined_at: row.quarantined_at.toISOString(),
    mail_from: row.mail_from,
    rcpt_to: row.rcpt_to,
    mail_params: row.envelope.mail_params,
    rcpt_params: row.envelope.rcpt_params,
    client: row.envelope.client,
    size: Number(row.size),
    sha256: row.sha256,
    subject: row.subject,
    from: row.from_header,
    verdict: row.verdict,
    score: row.score,
    findings: row.findings,
    reason: row.reason,
  };
  return row.state === 'held' || !row.release ? meta : { ...meta, release: { state: row.state, ...row.release } };
}

/** The columns an insert or a full update writes, in this order. */
export const ENTRY_COLUMNS = [
  'quarantined_at',
  'received_at',
  'mail_from',
  'rcpt_to',
  'envelope',
  'size',
  'sha256',
  'subject',
  'from_header',
  'verdict',
  'score',
  'reason',
  'state',
  'release',
  'sender_search',
  'recipient_search',
  'text_search',
  'extra',
] as const;

/** Values for ENTRY_COLUMNS. NUL cannot be stored in text or jsonb: it becomes U+FFFD. */
export function entryValues(meta: QuarantineMeta): unknown[] {
  const hay = searchTexts(meta);
  const { state, ...record } = meta.release ?? { state: 'held' as const };
  return [
    meta.quarantined_at,
    meta.received_at,
    text(meta.mail_from),
    meta.rcpt_to.map(text),
    json({ mail_params: meta.mail_params, rcpt_params: meta.rcpt_params, client: meta.client }),
    meta.size,
    meta.sha256,
    text(meta.subject),
    text(meta.from),
    meta.verdict,
    meta.score,
    text(meta.reason),
    state,
    meta.release ? json(record) : null,
    text(hay.sender),
    // Recipients cannot contain a line break (RFC 5321 paths), so one never matches across two.
    text(hay.recipients.join('\n')),
    text(hay.text),
    json(Object.fromEntries(Object.entries(meta).filter(([key]) => !COLUMN_FIELDS.has(key)))),
  ];
}

/** The findings as one jsonb array, unpacked by the insert with jsonb_array_elements. */
export function findingsValue(meta: QuarantineMeta): string {
  return json(meta.findings);
}

export function text(s: string): string {
  return s.includes('\0') ? s.replace(/\0/g, '\ufffd') : s;
}

export function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? text(v) : v));
}

/**
 * The filter as a WHERE clause and its parameters. Substrings use LIKE on the lower-cased
 * columns, with LIKE's own wildcards in the needle escaped: "100%" finds "100%", not "100".
 */
export function whereOf(filter: ListFilter): { sql: string; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const like = (column: string, needle: string | undefined) => {
    if (!needle) return;
    conditions.push(needle.includes('\n') ? 'false' : `${column} LIKE ${param(`%${text(needle.toLowerCase()).replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
  };
  if (filter.since) conditions.push(`e.quarantined_at >= ${param(filter.since.toISOString())}`);
  if (filter.until) conditions.push(`e.quarantined_at < ${param(filter.until.toISOString())}`);
  if (filter.verdict) conditions.push(`e.verdict = ${param(filter.verdict)}`);
  if (filter.released === true) conditions.push(`e.state = 'released'`);
  if (filter.released === false) conditions.push(`e.state IN ('held', 'releasing')`);
  like('e.sender_search', filter.sender);
  like('e.recipient_search', filter.recipient);
  like('e.text_search', filter.text);
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', values };
}
