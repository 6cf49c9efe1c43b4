/**
 * The SMTP envelope of one message as the inspection core sees it: plain data, the same
 * whether the message came through the SMTP proxy, the milter or `sekisho scan`.
 */
export interface Envelope {
  /** MAIL FROM address; "" for the null sender (bounces). */
  readonly mailFrom: string;
  /** Recipients the next hop accepted. */
  readonly rcptTo: readonly string[];
  /** The client as the MTA in front of us saw it (XFORWARD-aware); absent for `scan`. */
  readonly client?: ClientFacts;
}

export interface ClientFacts {
  /** IP address of the sending client. */
  readonly address: string;
  /** Reverse-resolved name, when known. */
  readonly hostname?: string;
  /** HELO/EHLO argument. */
  readonly helo?: string;
}
