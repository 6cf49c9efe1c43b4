/**
 * The header block of a message as raw bytes: split into fields and put back together,
 * so that an edit touches only the fields it means to and the body is never re-encoded.
 */

export type LineEnding = '\r\n' | '\n';

export interface HeaderField {
  /** The field name as written, before the colon ("" for a line without one). */
  readonly name: string;
  /** The whole field: name, colon, value, continuation lines and their line endings. */
  readonly raw: Buffer;
}

export interface HeaderBlock {
  readonly fields: readonly HeaderField[];
  /** Line ending of the message's first line, used for every field written. */
  readonly lineEnding: LineEnding;
  /**
   * Offset of the empty line that ends the header block; message.length when there is none.
   * When tooLarge, the offset where the scan stopped (the start of the field it was in).
   */
  readonly bodyStart: number;
  /**
   * The header block runs past the scan limit: fields holds only the fields before it, and
   * the message must be left as it is (a forged field may hide in the unscanned part).
   * rebuild(block.fields, message, block) still gives back the message unchanged.
   */
  readonly tooLarge: boolean;
}

/**
 * A header block is a few kilobytes; anything past this is an attack or a broken mailer, and
 * scanning it for fields would let a sender make every message cost megabytes of work.
 */
export const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;

/** RFC 5322 §2.2.3: a line beginning with WSP continues the field above it. */
const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/** The shape of a header block without its fields: what scanHeaderBlock returns. */
export type BlockShape = Omit<HeaderBlock, 'fields'>;

/**
 * Splits a message into its header fields and the rest. Never throws: a line without a
 * colon, NUL bytes or a lone continuation line at the top each become a field of their own,
 * kept byte for byte. A header block longer than maxBytes comes back with tooLarge set.
 */
export function parseHeaderBlock(message: Buffer, maxBytes = MAX_HEADER_BLOCK_BYTES): HeaderBlock {
  const fields: HeaderField[] = [];
  const shape = scanHeaderBlock(message, (start, end, colon) => fields.push({ name: colon >= 0 ? message.toString('latin1', start, colon) : '', raw: message.subarray(start, end) }), maxBytes);
  return { fields, ...shape };
}

/**
 * The one scan of a header block: calls `visit` with each field's byte range and the offset
 * of the colon on its first line (-1 when it has none), and makes no object per field, so a
 * reader that wants five names out of 65,000 fields pays for a byte loop only
 * (bench/adversarial-bench.mjs, header-fields). parseHeaderBlock builds its fields from it.
 */
export function scanHeaderBlock(message: Buffer, visit: (start: number, end: number, colon: number) => void, maxBytes = MAX_HEADER_BLOCK_BYTES): BlockShape {
  const firstLf = message.indexOf(LF);
  // SMTP carries CRLF (RFC 5321 §2.3.8); bare LF only comes from local submission and files.
  const lineEnding: LineEnding = firstLf >= 0 && message[firstLf - 1] !== CR ? '\n' : '\r\n';
  const stop = (at: number, tooLarge: boolean): BlockShape => ({ lineEnding, bodyStart: at, tooLarge });
  const emit = (start: number, end: number) => visit(start, end, colonOf(message, start, end));
  let fieldStart = -1;
  let pos = 0;
  while (pos < message.length) {
    if (pos > maxBytes) return stop(fieldStart >= 0 ? fieldStart : pos, true);
    const first = message[pos];
    if (first === LF || (first === CR && message[pos + 1] === LF)) {
      if (fieldStart >= 0) emit(fieldStart, pos);
      return stop(pos, false);
    }
    if ((first !== SP && first !== HTAB) || fieldStart < 0) {
      if (fieldStart >= 0) emit(fieldStart, pos);
      fieldStart = pos;
    }
    const lf = message.indexOf(LF, pos);
    pos = lf < 0 ? message.length : lf + 1;
  }
  // The last line may itself run past the limit (a header of one 2 MB line).
  if (pos > maxBytes) return stop(fieldStart >= 0 ? fieldStart : pos, true);
  // A message without an empty line is all header (RFC 5322 §3.5: the body is optional).
  if (fieldStart >= 0) emit(fieldStart, message.length);
  return stop(message.length, false);
}

function colonOf(message: Buffer, start: number, end: number): number {
  // The colon is looked for on the field's first line only, by a loop over the message
  // itself: a block of 65,000 short fields made three Buffer views and two indexOf calls
  // per field the larger part of reading it (bench/adversarial-bench.mjs, header-fields).
  for (let i = start; i < end; i++) {
    const c = message[i];
    if (c === COLON) return i;
    if (c === LF) break;
  }
  return -1;
}

/**
 * Whether a field has this name, compared the way mail parsers do: case-insensitively and
 * ignoring whitespace before the colon (RFC 5322 §4.5.3 obs-optional, which mailparser and
 * most MUAs still accept, so "X-Sekisho-Verdict : clean" is a forged verdict too).
 */
export function fieldKey(field: HeaderField): string {
  return keyOfName(field.name);
}

/** fieldKey of a name as written. */
export function keyOfName(name: string): string {
  // A loop, not /[ \t]+$/: that regex is quadratic on a run of blanks not at the end, and
  // a name is up to the 1 MB header limit ("X" + 40,000 spaces + "y:" took 2.3 s).
  let end = name.length;
  while (end > 0 && (name[end - 1] === ' ' || name[end - 1] === '\t')) end--;
  return name.slice(0, end).toLowerCase();
}

/** The value of a field: the bytes after the colon, continuation lines included, without the final line ending. */
export function fieldValue(field: HeaderField): Buffer {
  const colon = field.raw.indexOf(COLON);
  let end = field.raw.length;
  if (field.raw[end - 1] === LF) end -= field.raw[end - 2] === CR ? 2 : 1;
  return field.raw.subarray(colon < 0 ? 0 : colon + 1, Math.max(end, colon + 1));
}

/**
 * The message with new header fields and the original bytes from the header/body separator
 * on, in one Buffer.concat. A field written without a line ending (the last line of a message
 * that is all header) gets the message's own when another field now follows it, or the two
 * would run together into one line.
 */
export function rebuild(fields: readonly HeaderField[], message: Buffer, block: HeaderBlock): Buffer {
  const ending = Buffer.from(block.lineEnding, 'latin1');
  const parts: Buffer[] = [];
  fields.forEach((field, i) => {
    parts.push(field.raw);
    const followed = i < fields.length - 1 || block.bodyStart < message.length;
    if (followed && field.raw[field.raw.length - 1] !== LF) parts.push(ending);
  });
  parts.push(message.subarray(block.bodyStart));
  return Buffer.concat(parts);
}

/** Longest line RFC 5322 §2.1.1 asks for, line ending excluded. */
export const MAX_LINE = 78;

/**
 * Folds "Name: value" (printable ASCII) at whitespace so lines stay within maxLine where the
 * words allow it (RFC 5322 §3.2.2). A break only goes before the last WSP of a run, so no
 * continuation line is whitespace alone, which the RFC forbids and some parsers take as the
 * end of the header block. Returns the lines, without line endings.
 */
export function foldLines(name: string, value: string, maxLine = MAX_LINE): string[] {
  const pieces = `${name}: ${value}`.split(/(?=[ \t][^ \t])/);
  const lines: string[] = [];
  let line = '';
  for (const piece of pieces) {
    if (line !== '' && line.length + piece.length > maxLine) {
      lines.push(line);
      line = piece;
    } else {
      line += piece;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * A header field to add, folded and written with the message's line ending. The value is
 * the caller's ASCII; a CR or LF in it would start a field of the caller's choosing (header
 * injection), so every control character and anything outside ASCII becomes a space or "?".
 */
export function makeField(name: string, value: string, lineEnding: LineEnding): HeaderField {
  const safeName = name.replace(/[^\x21-\x39\x3b-\x7e]/g, '-');
  const safeValue = value.replace(/[\r\n\t]/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  const text = foldLines(safeName, safeValue).join(lineEnding) + lineEnding;
  return { name: safeName, raw: Buffer.from(text, 'latin1') };
}
