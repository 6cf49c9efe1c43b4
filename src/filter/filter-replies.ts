import type { Action } from '../policy/decide.js';
import { SmtpReply } from '../smtp/smtp-reply.js';

/**
 * The replies the filter decides on: what a policy action means on the wire, and what the
 * filter's own failures answer. One table for every ingress: the proxy says them to its
 * client, the milter hands them to the MTA (SMFIR_REPLYCODE, SMFIR_TEMPFAIL).
 */

/** Any fault of our own: tempfail, so the sender keeps the message (never lose mail). */
export const INTERNAL_ERROR = SmtpReply.of(451, '4.3.0', 'Internal error, try again later');

/** The quarantine copy could not be written: tempfail, the sender keeps the message. */
export const QUARANTINE_FAILED = SmtpReply.of(451, '4.3.0', 'Cannot store the message, try again later');

/**
 * RFC 3463 X.3.1, mail system full: the quarantine at its quota or its disk at the floor, or
 * the process at its budget of message bytes in flight. The sender keeps the message.
 */
export const INSUFFICIENT_STORAGE = SmtpReply.of(451, '4.3.1', 'Insufficient system storage, try again later');

/** Every inspection worker busy and the queue full (RFC 3463 X.3.2: system not accepting messages). */
export const INSPECTION_BUSY = SmtpReply.of(451, '4.3.2', 'Too busy to inspect the message, try again later');

/** A header block over the edit step's cap (1 MiB): no real mailer writes one. */
export const HEADER_TOO_LARGE = SmtpReply.of(554, '5.6.0', 'Message header too large');

/**
 * The end of DATA: what the policy's action means on the wire. `pass` and `tag` relay the
 * (edited) message and the client gets the next hop's final reply, so 250 only ever
 * follows the next hop's 250; `quarantine` answers 250 only once the quarantine copy is
 * durable, never before; the proxy words that 250 as its next hop words its own (no tells).
 */
export function replyForAction(action: Action): SmtpReply | 'relay' | 'quarantine' {
  switch (action.kind) {
    case 'pass':
    case 'tag':
      return 'relay';
    case 'quarantine':
    case 'await-password':
      return 'quarantine';
    case 'reject':
      return SmtpReply.of(550, '5.7.1', action.reply);
    case 'tempfail':
      return SmtpReply.of(451, '4.7.1', action.reply);
  }
}
