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

export const SHUTTING_DOWN = SmtpReply.of(421, '4.3.2', 'Service shutting down, try again later');

export const TOO_MANY_FROM_CLIENT = SmtpReply.of(421, '4.7.0', 'Too many connections from your address, try again later');

export function messageTooBig(limit: number): SmtpReply {
  return SmtpReply.of(552, '5.3.4', `Message size exceeds fixed maximum message size of ${limit} bytes`);
}

/** Deadlines a client broke (client-deadline.ts): 421, the connection closes, nothing was acknowledged. */
export const TRANSACTION_DEADLINE = SmtpReply.of(421, '4.4.2', 'Transaction took too long, closing connection');
export const DATA_DEADLINE = SmtpReply.of(421, '4.4.2', 'Message took too long to send, closing connection');
export const DATA_TOO_SLOW = SmtpReply.of(421, '4.4.2', 'Message data too slow, closing connection');

/** What the DATA hook answers for a client that hung up mid-message: nobody hears it. */
export const CLIENT_GONE = SmtpReply.of(421, '4.4.2', 'Connection closed during the message');
