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

/** MAIL FROM as the client sent it, parameters decoded. */
export interface MailCommand {
  /** "" for the null sender. */
  readonly address: string;
  /** RFC 1870 SIZE the client declared. */
  readonly size?: number;
  /** RFC 6152 BODY. */
  readonly body?: '7BIT' | '8BITMIME';
  /** RFC 6531 SMTPUTF8. */
  readonly smtpUtf8: boolean;
  /** RFC 3461 RET. */
  readonly ret?: 'FULL' | 'HDRS';
  /** RFC 3461 ENVID, decoded from xtext. */
  readonly envid?: string;
}

/** RCPT TO as the client sent it, parameters decoded. */
export interface RcptCommand {
  readonly address: string;
  /** RFC 3461 NOTIFY values, upper case. */
  readonly notify?: readonly string[];
  /** RFC 3461 ORCPT ("rfc822;user@example.com"), decoded from xtext. */
  readonly orcpt?: string;
}

/** The client as the next hop should log it: Postfix XFORWARD attributes. */
export interface ClientIdentity {
  /** Verified reverse name; absent when unknown. */
  readonly name?: string;
  readonly addr?: string;
  readonly port?: number;
  /** "SMTP" or "ESMTP". */
  readonly proto?: string;
  readonly helo?: string;
  /** Queue id of the MTA in front of us, when it told us (XFORWARD IDENT). */
  readonly ident?: string;
  /** "LOCAL" or "REMOTE". */
  readonly source?: string;
}

export interface TransactionMeta {
  /** sekisho's transaction id: in logs, the outbox file name, quarantine entries. */
  readonly id: string;
  readonly client: ClientIdentity;
  readonly receivedAt: Date;
}
