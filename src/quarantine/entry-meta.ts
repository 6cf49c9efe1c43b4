import type { Verdict } from '../core/verdict.js';
import type { HeaderFacts } from '../message/header-facts.js';
import type { ClientIdentity, MailCommand, RcptCommand } from '../message/smtp-envelope.js';
import type { PpapState, QuarantineMeta } from './quarantine-store.js';

export interface HeldMessage {
  readonly id: string;
  readonly receivedAt: Date;
  readonly mail: MailCommand;
  readonly rcpts: readonly RcptCommand[];
  readonly client: ClientIdentity;
  readonly verdict: Verdict;
  /** Read during inspection: Subject and From as a client shows them. */
  readonly headers: Pick<HeaderFacts, 'subject' | 'fromText'>;
  /** The message's SHA-256 (hex), computed during inspection. */
  readonly sha256: string;
  readonly reason: string;
  /** Held awaiting a password (PPAP). */
  readonly ppap?: PpapState;
}

/**
 * The metadata of a new quarantine entry: envelope, client, verdict, and what an admin
 * searches by. The SHA-256 comes from the inspection (hashed in the worker, not on the
 * event loop: a 50 MB message takes ~100 ms to hash).
 */
export function quarantineMetaOf(held: HeldMessage, message: Buffer, now: Date): QuarantineMeta {
  return {
    id: held.id,
    received_at: held.receivedAt.toISOString(),
    quarantined_at: now.toISOString(),
    mail_from: held.mail.address,
    rcpt_to: held.rcpts.map((r) => r.address),
    mail_params: { body: held.mail.body, smtputf8: held.mail.smtpUtf8 || undefined, ret: held.mail.ret, envid: held.mail.envid },
    rcpt_params: held.rcpts.map((r) => ({ notify: r.notify, orcpt: r.orcpt })),
    client: held.client,
    size: message.length,
    sha256: held.sha256,
    // What an admin reads in a list; the rest of a longer one is an attacker's padding.
    subject: held.headers.subject.slice(0, 1000),
    from: held.headers.fromText,
    verdict: held.verdict.verdict,
    score: held.verdict.score,
    findings: held.verdict.findings,
    reason: held.reason,
    ...(held.ppap ? { ppap: held.ppap } : {}),
  };
}
