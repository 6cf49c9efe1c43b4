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
 * The end of DATA: what the policy's action means on the wire. `pass` relays the message
 * and the client gets the next hop's final reply, so 250 only ever follows the next hop's 250.
 */
export function replyForAction(action: Action): SmtpReply | 'relay' {
  switch (action.kind) {
    case 'pass':
    // Subject tags and X-Sekisho headers are written by the policy's edit step (not yet
    // built); until then a tagged message is relayed as it is and the log says why.
    case 'tag':
      return 'relay';
    // Until the quarantine store exists, "hold" is a tempfail: the sender keeps the message.
    case 'quarantine':
      return SmtpReply.of(451, '4.7.1', 'Message held by the mail filter, try again later');
    case 'reject':
      return SmtpReply.of(550, '5.7.1', action.reason);
    case 'tempfail':
      return SmtpReply.of(451, '4.7.1', action.reason);
  }
}
