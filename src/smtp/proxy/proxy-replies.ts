import type { Action } from '../../policy/decide.js';
import type { NextHopError } from '../next-hop/next-hop-error.js';
import { SmtpReply } from '../smtp-reply.js';

/**
 * Every reply the SMTP proxy makes up itself, and the one mapping from a policy action to
 * what the client hears. Whatever is not the next hop's own reply comes from here.
 */

/** RFC 3463 X.4.1 "no answer from host" for connects, X.4.2 "bad connection" once connected. */
export function nextHopFailureReply(error: NextHopError): SmtpReply {
  switch (error.kind) {
    case 'connect':
    case 'refused':
      return SmtpReply.of(451, '4.4.1', 'Next hop not available, try again later');
    case 'timeout':
    case 'dropped':
    case 'protocol':
      return SmtpReply.of(451, '4.4.2', 'Next hop connection failed, try again later');
    case 'tls':
      return SmtpReply.of(451, '4.7.5', 'TLS with the next hop failed, try again later');
    case 'io':
      return SmtpReply.of(451, '4.3.0', 'Cannot store the message, try again later');
  }
}

/** Any fault of our own: tempfail, so the sender keeps the message (never lose mail). */
export const INTERNAL_ERROR = SmtpReply.of(451, '4.3.0', 'Internal error, try again later');

export const SHUTTING_DOWN = SmtpReply.of(421, '4.3.2', 'Service shutting down, try again later');

export const TOO_MANY_FROM_CLIENT = SmtpReply.of(421, '4.7.0', 'Too many connections from your address, try again later');

export function messageTooBig(limit: number): SmtpReply {
  return SmtpReply.of(552, '5.3.4', `Message size exceeds fixed maximum message size of ${limit} bytes`);
}

/**
 * The end of DATA: what the policy's action means on the wire. `pass` and `tag` relay the
 * (edited) message and the client gets the next hop's final reply, so 250 only ever
 * follows the next hop's 250; `quarantine` answers 250 only once the quarantine copy is
 * on disk (quarantinedReply), never before.
 */
export function replyForAction(action: Action): SmtpReply | 'relay' | 'quarantine' {
  switch (action.kind) {
    case 'pass':
    case 'tag':
      return 'relay';
    case 'quarantine':
      return 'quarantine';
    case 'reject':
      return SmtpReply.of(550, '5.7.1', action.reply);
    case 'tempfail':
      return SmtpReply.of(451, '4.7.1', action.reply);
  }
}

/**
 * The client's reply once a message is safely in quarantine. It does not say "quarantined":
 * the sender may be the attacker, probing what gets through.
 */
export function quarantinedReply(id: string): SmtpReply {
  return SmtpReply.of(250, '2.0.0', `Ok: queued as ${id}`);
}

/** A header block over the edit step's cap (1 MiB): no real mailer writes one. */
export const HEADER_TOO_LARGE = SmtpReply.of(554, '5.6.0', 'Message header too large');

/** The quarantine copy could not be written: tempfail, the sender keeps the message. */
export const QUARANTINE_FAILED = SmtpReply.of(451, '4.3.0', 'Cannot store the message, try again later');
