/**
 * The one SMTP reply type of sekisho: what a next hop answered, or what sekisho itself
 * answers a client. Code, RFC 3463 enhanced status code and text are kept apart so a
 * next hop's reply can be passed to the client unchanged (Postfix before-queue rule:
 * the client sees the next hop's verdict, not ours).
 */
export class SmtpReply {
  constructor(
    /** Three-digit reply code, e.g. 250, 451, 550. */
    readonly code: number,
    /** RFC 3463 enhanced status code such as "5.1.1", when the reply carried one. */
    readonly enhanced: string | undefined,
    /** Text of each reply line, without code and enhanced code. */
    readonly lines: readonly string[],
  ) {}

  get isPositive(): boolean {
    return this.code >= 200 && this.code < 400;
  }

  get isTransient(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  get isPermanent(): boolean {
    return this.code >= 500;
  }

  /** "4xx", "5xx", … for metrics and logs. */
  get codeClass(): string {
    return `${Math.floor(this.code / 100)}xx`;
  }

  /** Text of all lines joined by a space: what a one-line reply can carry. */
  get text(): string {
    return this.lines.join(' ');
  }

  /** Enhanced code and text as one line, e.g. "5.1.1 <x@y>: Recipient address rejected". */
  get message(): string {
    return this.enhanced ? `${this.enhanced} ${this.text}` : this.text;
  }

  /** The reply in wire form, each line ended by CRLF. */
  toWire(): string {
    const lines = this.lines.length > 0 ? this.lines : [''];
    return lines
      .map((line, i) => {
        const sep = i < lines.length - 1 ? '-' : ' ';
        const body = this.enhanced ? `${this.enhanced} ${line}` : line;
        return `${this.code}${sep}${body}`.trimEnd() + '\r\n';
      })
      .join('');
  }

  /** One line for logs: "250 2.0.0 Ok: queued as 4Xy". */
  toString(): string {
    return `${this.code} ${this.message}`.trimEnd();
  }

  /** A reply of sekisho's own making. */
  static of(code: number, enhanced: string, text: string): SmtpReply {
    return new SmtpReply(code, enhanced, [text]);
  }
}

/** RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5. */
const ENHANCED_CODE = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)/;

/**
 * Builds a reply from its raw lines ("250-first", "250 last"). The enhanced code is
 * taken from the first line and stripped from every line that repeats it, as
 * RFC 2034 §3 asks servers to put it on each line.
 */
export function replyFromLines(code: number, rawTexts: readonly string[]): SmtpReply {
  const first = rawTexts[0] ?? '';
  const match = ENHANCED_CODE.exec(first);
  const enhanced = match?.[1];
  if (enhanced === undefined || enhanced[0] !== String(code)[0]) {
    return new SmtpReply(code, undefined, rawTexts.slice());
  }
  const lines = rawTexts.map((t) => {
    const m = ENHANCED_CODE.exec(t);
    return m && m[1] === enhanced ? t.slice(m[0].length) : t;
  });
  return new SmtpReply(code, enhanced, lines);
}

/**
 * An SMTP reply carried as an Error, the shape smtp-server turns into the answer of
 * a hook (`responseCode` + `message`). With ENHANCEDSTATUSCODES hidden, smtp-server
 * sends `code + " " + message` verbatim, so the next hop's enhanced code survives.
 */
export class SmtpReplyError extends Error {
  readonly responseCode: number;

  constructor(
    readonly reply: SmtpReply,
    options?: { cause?: unknown },
  ) {
    super(reply.message, options);
    this.name = 'SmtpReplyError';
    this.responseCode = reply.code;
  }
}
