import type { MailCommand, RcptCommand, TransactionMeta } from '../../message/smtp-envelope.js';
import type { SmtpReply } from '../smtp-reply.js';

/**
 * The next hop behind sekisho: a real MTA over SMTP, or the outbox directory that the
 * shipped configuration uses on a machine without one. The proxy drives a session in
 * lock-step with its client and hands every reply back; a session method either gives
 * the next hop's reply or rejects with a NextHopError (no answer could be had).
 */
export interface NextHop {
  /** For logs, e.g. "smtp://127.0.0.1:10026" or "outbox:/var/spool/sekisho/outbox". */
  readonly description: string;
  /** A session for one client connection. Cheap: nothing is opened before the first MAIL. */
  openSession(): NextHopSession;
  /** Releases what the next hop keeps between sessions (cached connections). Never rejects. */
  close(): Promise<void>;
}

export interface NextHopSession {
  /** Starts a transaction (opening the connection first when needed). */
  mail(mail: MailCommand, meta: TransactionMeta): Promise<SmtpReply>;
  rcpt(rcpt: RcptCommand): Promise<SmtpReply>;
  /** Sends the message of the open transaction and gives the final reply. */
  data(message: Buffer): Promise<SmtpReply>;
  /** Abandons the open transaction, if any, without the message ever being sent. */
  reset(): Promise<void>;
  /** Ends the session. Never rejects. */
  close(): Promise<void>;
}

export type { ClientIdentity, MailCommand, RcptCommand, TransactionMeta } from '../../message/smtp-envelope.js';
