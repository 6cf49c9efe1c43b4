import { replyFromLines, type SmtpReply } from '../smtp-reply.js';

/** RFC 5321 §4.5.3.1.5 caps a reply line at 512 octets; real servers exceed it a little. */
const MAX_LINE_BYTES = 4096;
/** Longest multi-line reply we accept (an EHLO list is ~15 lines). */
const MAX_LINES = 200;

const LF = 0x0a;

export class ReplySyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplySyntaxError';
  }
}

/**
 * Turns the byte stream of a next hop into whole replies. Bounded: an over-long line,
 * a runaway multi-line reply or a line that is not `ddd[ -]text` is a protocol error,
 * never unbounded buffering.
 */
export class ReplyReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private code = 0;
  private texts: string[] = [];

  /** Feeds bytes; returns the replies they completed (usually zero or one). */
  push(chunk: Buffer): SmtpReply[] {
    const replies: SmtpReply[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) break;
      const piece = chunk.subarray(start, lf);
      const line = this.pendingBytes > 0 ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      if (line.length > MAX_LINE_BYTES) throw new ReplySyntaxError(`reply line longer than ${MAX_LINE_BYTES} bytes`);
      const reply = this.line(line);
      if (reply) replies.push(reply);
      start = lf + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > MAX_LINE_BYTES) throw new ReplySyntaxError(`reply line longer than ${MAX_LINE_BYTES} bytes`);
      // Keep a copy: the socket may reuse its buffer.
      this.pending.push(Buffer.from(rest));
    }
    return replies;
  }

  private line(raw: Buffer): SmtpReply | undefined {
    let end = raw.length;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
    const text = raw.toString('utf8', 0, end);
    const m = /^([2-5]\d\d)([ -]|$)(.*)$/s.exec(text);
    if (!m) throw new ReplySyntaxError(`not an SMTP reply line: ${JSON.stringify(text.slice(0, 80))}`);
    const code = Number(m[1]);
    if (this.texts.length > 0 && code !== this.code) {
      throw new ReplySyntaxError(`reply code changed within a multi-line reply (${this.code} then ${code})`);
    }
    this.code = code;
    this.texts.push(m[3] ?? '');
    if (this.texts.length > MAX_LINES) throw new ReplySyntaxError(`multi-line reply longer than ${MAX_LINES} lines`);
    if (m[2] === '-') return undefined;
    const reply = replyFromLines(code, this.texts);
    this.texts = [];
    return reply;
  }
}
