/**
 * ASCII character classes and small helpers shared by the text scanners (links-text.ts,
 * links-bare.ts): one table lookup per character keeps the scans linear and cheap.
 */

export const HOST = 1; // may appear in the authority (userinfo, host, port, IPv6 brackets)
export const PATH = 2; // may appear in path, query, fragment
export const LDH = 4; // letter, digit, hyphen, dot: what a bare domain is made of
export const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9.-]/.test(ch)) CLASS[c] = HOST | PATH | LDH;
  else if ('_~%:@!$&+='.includes(ch)) CLASS[c] = HOST | PATH;
  else if ('[]'.includes(ch)) CLASS[c] = HOST;
  else if ("/?#()*,;".includes(ch)) CLASS[c] = PATH;
}

export function cls(t: string, i: number): number {
  const c = t.charCodeAt(i);
  return c < 128 ? (CLASS[c] ?? 0) : 0;
}

/** Letters, marks and digits of any script: what an internationalised label is made of. */
export const WORDISH = /^[\p{L}\p{M}\p{N}]$/u;
export const isAsciiAlnum = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Drops sentence punctuation and unbalanced closing brackets from a URL's end. */
export function trimEnd(t: string, start: number, end: number): number {
  let open = 0;
  let close = 0;
  for (let k = start; k < end; k++) {
    const c = t.charCodeAt(k);
    if (c === 40) open++;
    else if (c === 41) close++;
  }
  while (end > start) {
    const ch = t[end - 1] ?? '';
    if ('.,:;!?*\'"'.includes(ch)) {
      end--;
    } else if (ch === ')' && close > open) {
      close--;
      end--;
    } else {
      break;
    }
  }
  return end;
}

