import type { InflightBytes } from '../message/inflight-bytes.js';
import type { MessageBuffers } from '../message/message-buffers.js';

const CRLF = Buffer.from('\r\n', 'latin1');
const COLON = Buffer.from(':', 'latin1');
const COLON_SPACE = Buffer.from(': ', 'latin1');

/**
 * The message rebuilt from the MTA's header and body events, byte for byte what the proxy
 * would have read for the same mail: "Name:" + value + CRLF per header, the empty line,
 * then the body chunks as sent (Postfix sends body lines with CRLF).
 *
 * Header values: with SMFIP_HDR_LEADSPC negotiated the MTA sends the value exactly as it
 * followed the colon, leading space included; without it Sendmail and Postfix eat one space
 * after the colon, so one is put back. Folded fields arrive with a bare "\n" between lines
 * (milter8.c: "Sendmail 8 sends multi-line headers as text separated by newline"): each
 * becomes CRLF again, as on the SMTP wire.
 *
 * At most `maxBytes` are kept; past them only the count goes on and the header block alone
 * stays, so that the policy can still answer for the message (the MTA has it already).
 */
export class MilterMessage {
  private readonly headerParts: Buffer[] = [];
  private readonly bodyParts: Buffer[] = [];
  private headerBytes = 0;
  private bodyBytes = 0;
  private headersEnded = false;
  /** Bytes the MTA sent, kept or not. */
  size = 0;
  /** Bytes taken from the process's in-flight budget, given back by release(). */
  private taken = 0;
  /** Keeping it would have taken the process past smtp.max_inflight_bytes: nothing is kept. */
  overBudget = false;

  constructor(
    private readonly maxBytes: number,
    private readonly leadingSpace: boolean,
    private readonly inflight: InflightBytes,
  ) {}

  get overLimit(): boolean {
    return this.size > this.maxBytes;
  }

  /** The transaction is over: its bytes leave the budget. */
  release(): void {
    this.inflight.give(this.taken);
    this.taken = 0;
  }

  /** Takes n bytes of the budget, or gives up keeping anything of this message. */
  private keep(n: number): boolean {
    if (this.overBudget) return false;
    if (this.inflight.tryTake(n)) {
      this.taken += n;
      return true;
    }
    this.overBudget = true;
    this.headerParts.length = 0;
    this.bodyParts.length = 0;
    this.release();
    return false;
  }

  header(name: string, value: Buffer): void {
    const parts = [Buffer.from(name, 'latin1'), this.leadingSpace ? COLON : COLON_SPACE, ...crlfLines(value), CRLF];
    const n = parts.reduce((sum, p) => sum + p.length, 0);
    this.size += n;
    // A header block past the limit is not kept whole; the edit step could not trust it anyway.
    if (!this.overLimit && this.keep(n)) {
      this.headerParts.push(...parts);
      this.headerBytes += n;
    }
  }

  /** The empty line after the header block (SMFIC_EOH, or the first body chunk without one). */
  endHeaders(): void {
    if (this.headersEnded) return;
    this.headersEnded = true;
    this.size += CRLF.length;
    if (!this.keep(CRLF.length)) return;
    this.headerParts.push(CRLF);
    this.headerBytes += CRLF.length;
  }

  body(chunk: Buffer): void {
    this.endHeaders();
    this.size += chunk.length;
    if (this.overLimit || chunk.length === 0 || !this.keep(chunk.length)) return;
    this.bodyParts.push(chunk);
    this.bodyBytes += chunk.length;
  }

  /**
   * The whole message in one Buffer over shared memory (one copy, so that an inspection
   * worker reads it without another); only the header block when over the limit. The
   * caller gives it back to `buffers` once the transaction has ended.
   */
  build(buffers: MessageBuffers): Buffer {
    this.endHeaders();
    const parts = this.overLimit ? this.headerParts : [...this.headerParts, ...this.bodyParts];
    const total = this.headerBytes + (this.overLimit ? 0 : this.bodyBytes);
    const out = buffers.take(total);
    let at = 0;
    for (const p of parts) at += p.copy(out, at);
    // The session keeps this collector until the transaction ends: only the copy stays.
    this.headerParts.length = 0;
    this.bodyParts.length = 0;
    return out;
  }
}

/** A value's lines with CRLF between them where the MTA put a bare LF. */
function crlfLines(value: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let lf = value.indexOf(0x0a); lf >= 0; lf = value.indexOf(0x0a, lf + 1)) {
    const end = lf > 0 && value[lf - 1] === 0x0d ? lf - 1 : lf;
    parts.push(value.subarray(start, end), CRLF);
    start = lf + 1;
  }
  parts.push(value.subarray(start));
  return parts;
}
