/**
 * The SMTP envelope of a message as the ingresses received it, parameters decoded: what a
 * next hop is sent and what a quarantine entry keeps so that a release re-sends the
 * message as if it had never stopped. Plain data, shared by the proxy, the milter, the
 * next hops and the quarantine.
 */

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
