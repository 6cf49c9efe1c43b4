/**
 * Why the next hop could not give an answer. Every kind ends as a 4xx to the client
 * (Postfix before-queue rule: a filter failure is a tempfail, never a bounce), so the
 * sender keeps the message and retries.
 */
export type NextHopFailure =
  /** TCP connect refused, unreachable, or no connection within the connect timeout. */
  | 'connect'
  /** Connected, but a reply did not come within its timeout. */
  | 'timeout'
  /** The connection closed or reset while we waited for a reply. */
  | 'dropped'
  /** The next hop said something that is not SMTP. */
  | 'protocol'
  /** STARTTLS failed: handshake error, certificate not trusted, or required but not offered. */
  | 'tls'
  /** The next hop refused the session itself (greeting or EHLO not 2xx). */
  | 'refused'
  /** A local next hop (the outbox) could not write. */
  | 'io';

export class NextHopError extends Error {
  constructor(
    readonly kind: NextHopFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NextHopError';
  }
}
