/**
 * Quoted-printable decoding (RFC 2045 §6.7) on the bytes themselves, with libqp's exact
 * results: blanks before a line end dropped, soft line breaks ("=" before CRLF, LF or the
 * end) removed, then every "=XX" decoded and any other "=" kept as it is. libqp does the
 * first two steps with regex replacements over a latin1 copy of the body, which was half
 * the inspection of a megabyte of "=\r\n=3C=" (bench/adversarial-bench.mjs, qp-soft-breaks);
 * here each step is one pass over a byte buffer, in place, since none writes ahead of
 * where it reads.
 */
const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const EQUALS = 0x3d;

export function decodeQuotedPrintable(input: Buffer): Buffer {
  const buf = Buffer.from(input);
  let n = dropBlanksBeforeLineEnds(buf);
  n = dropSoftBreaks(buf, n);
  return buf.subarray(0, decodeEscapes(buf, n));
}

/** Step 1: a run of spaces and tabs followed by CR, LF or the end of the input goes. */
function dropBlanksBeforeLineEnds(buf: Buffer): number {
  const n = buf.length;
  let w = 0;
  let r = 0;
  while (r < n) {
    const c = buf[r] as number;
    if (c !== SP && c !== HTAB) {
      buf[w++] = c;
      r++;
      continue;
    }
    let end = r;
    while (end < n && (buf[end] === SP || buf[end] === HTAB)) end++;
    const next = end < n ? buf[end] : -1;
    if (next !== -1 && next !== CR && next !== LF) buf.copyWithin(w, r, end), (w += end - r);
    r = end;
  }
  return w;
}

/** Step 2: "=" followed by CRLF, LF or the end of the input goes, with the line break. */
function dropSoftBreaks(buf: Buffer, n: number): number {
  let w = 0;
  let r = 0;
  while (r < n) {
    const c = buf[r] as number;
    if (c === EQUALS) {
      if (r + 1 === n) break;
      if (buf[r + 1] === LF) {
        r += 2;
        continue;
      }
      if (buf[r + 1] === CR && r + 2 < n && buf[r + 2] === LF) {
        r += 3;
        continue;
      }
    }
    buf[w++] = c;
    r++;
  }
  return w;
}

/** Step 3: "=XX" (either case) is the byte XX; an "=" without two hex digits stays. */
function decodeEscapes(buf: Buffer, n: number): number {
  let w = 0;
  for (let r = 0; r < n; r++) {
    const c = buf[r] as number;
    if (c === EQUALS && r < n - 2) {
      const hi = hexValue(buf[r + 1] as number);
      const lo = hexValue(buf[r + 2] as number);
      if (hi >= 0 && lo >= 0) {
        buf[w++] = hi * 16 + lo;
        r += 2;
        continue;
      }
    }
    buf[w++] = c;
  }
  return w;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}
