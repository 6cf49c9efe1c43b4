import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { Verdict } from '../core/verdict.js';
import { decodeHeader } from '../core/mime/mime-walker.js';
import { fieldKey, fieldValue, parseHeaderBlock } from '../edit/header-block.js';
import type { ClientIdentity, MailCommand, RcptCommand } from '../smtp/next-hop/next-hop.js';
import type { QuarantineMeta } from './quarantine-store.js';

export interface HeldMessage {
  readonly id: string;
  readonly receivedAt: Date;
  readonly mail: MailCommand;
  readonly rcpts: readonly RcptCommand[];
  readonly client: ClientIdentity;
  readonly verdict: Verdict;
  readonly reason: string;
}

/** The metadata of a new quarantine entry: envelope, client, verdict, and what an admin searches by. */
export function quarantineMetaOf(held: HeldMessage, message: Buffer, now: Date): QuarantineMeta {
  const header = (name: string) => {
    const field = parseHeaderBlock(message).fields.find((f) => fieldKey(f) === name);
    if (!field) return '';
    // Raw UTF-8 in headers (RFC 6532) is read as UTF-8; anything else goes to the RFC 2047 decoder as bytes.
    const value = fieldValue(field);
    return decodeHeader(value.toString(isUtf8(value) ? 'utf8' : 'latin1')).slice(0, 1000);
  };
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
    sha256: createHash('sha256').update(message).digest('hex'),
    subject: header('subject'),
    from: header('from'),
    verdict: held.verdict.verdict,
    score: held.verdict.score,
    findings: held.verdict.findings,
    reason: held.reason,
  };
}
