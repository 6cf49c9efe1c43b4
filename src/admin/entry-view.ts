import type { QuarantineMeta } from '../quarantine/quarantine-store.js';

/** One list row of the API: enough to judge an entry without opening it. */
export interface EntrySummary {
  readonly id: string;
  readonly received_at: string;
  readonly quarantined_at: string;
  readonly mail_from: string;
  readonly from: string;
  readonly rcpt_to: readonly string[];
  readonly subject: string;
  readonly verdict: string;
  readonly score: number;
  readonly reason: string;
  readonly size: number;
  readonly released: boolean;
  /** "detector/code" of each finding. */
  readonly findings: readonly string[];
  /** PPAP: awaiting a password, and how long still; the attempts so far (never a password). */
  readonly ppap?: { readonly state: string; readonly until: string; readonly seconds_left: number; readonly attempts: number };
}

export function summarise(meta: QuarantineMeta): EntrySummary {
  return {
    id: meta.id,
    received_at: meta.received_at,
    quarantined_at: meta.quarantined_at,
    mail_from: meta.mail_from,
    from: meta.from,
    rcpt_to: meta.rcpt_to,
    subject: meta.subject,
    verdict: meta.verdict,
    score: meta.score,
    reason: meta.reason,
    size: meta.size,
    released: meta.release?.state === 'released',
    findings: meta.findings.map((f) => `${f.detector}/${f.code}`),
    ...(meta.ppap ? { ppap: { state: meta.ppap.state, until: meta.ppap.until, seconds_left: secondsLeft(meta.ppap.until), attempts: meta.ppap.attempts.length } } : {}),
  };
}

/** Of a PPAP window; 0 once over. */
export function secondsLeft(until: string, now = Date.now()): number {
  return Math.max(0, Math.round((Date.parse(until) - now) / 1000));
}

/** A header block is a few kilobytes; a message that claims more is shown cut. */
export const MAX_HEADER_TEXT_BYTES = 64 * 1024;

/**
 * The message's header block as text, for the detail view: UTF-8 when it is valid UTF-8
 * (SMTPUTF8 mail, raw UTF-8 subjects), else latin1, which maps every byte to a character
 * so nothing is lost or replaced. Encoded words stay as written: this is the raw view.
 */
export function headerText(message: Buffer): string {
  const end = headerEnd(message);
  const block = message.subarray(0, Math.min(end, MAX_HEADER_TEXT_BYTES));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(block);
  } catch {
    return block.toString('latin1');
  }
}

/** Offset of the empty line ending the header block (CRLF or bare LF), or the message length. */
function headerEnd(message: Buffer): number {
  if (message[0] === 0x0a || (message[0] === 0x0d && message[1] === 0x0a)) return 0;
  for (let lf = message.indexOf(0x0a); lf !== -1; lf = message.indexOf(0x0a, lf + 1)) {
    const next = message[lf + 1];
    if (next === 0x0a || (next === 0x0d && message[lf + 2] === 0x0a)) return lf + 1;
    if (lf > MAX_HEADER_TEXT_BYTES) break;
  }
  return message.length;
}
