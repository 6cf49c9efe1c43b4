import { scanBare } from './links-bare.js';
import { CLASS, cls, HOST, isAsciiAlnum, isAsciiLetter, PATH, trimEnd, WORDISH } from './links-chars.js';

/**
 * Finding URLs and domains in running text, Japanese included. Everything here is a single
 * forward pass (plus a few linear regex replacements): no regex with nested or adjacent
 * unbounded quantifiers is run over the text, because mail bodies are attacker-controlled
 * and a 2 MB line must not take quadratic time.
 */

/** Text prepared for scanning, with where un-defanging replaced something. */
export interface PreparedText {
  readonly text: string;
  /** Sorted offsets in `text` of characters produced by un-defanging. */
  readonly defangedAt: readonly number[];
}

export interface TextCandidate {
  /** The URL or domain text (after normalisation and un-defanging). */
  readonly raw: string;
  /** True for "www.…" and bare-domain forms: parse as "http://" + raw. */
  readonly needsScheme: boolean;
  /** True when un-defanging changed part of it ("hxxps://", "[.]"). */
  readonly defanged: boolean;
}

/** Zero-width characters phishers insert to break scanners; a reader does not see them. */
const ZERO_WIDTH = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;

/**
 * "amazon。co。jp": Japanese input methods type the ideographic full stop where a dot was
 * meant. Only between ASCII letters/digits, so sentence-ending "。" in Japanese is untouched.
 */
const IDEOGRAPHIC_DOT = /(?<=[A-Za-z0-9-])\u3002(?=[A-Za-z0-9])/g;

/**
 * Defanged forms used by security notices and by phishers quoting "their" address:
 * hxxp(s)://, h**p(s)://, [.] (.) {.} [dot] (dot) {dot} (optionally spaced), [:] [://] [/];
 * and the Japanese bulletin-board habit of dropping the "h" ("ttps://…", h抜き) so that
 * software does not make a link of it. Fixed alternatives only, so the regex is linear.
 */
const DEFANG =
  /h(?:xx|\*\*)p(s?)(?=\[?:)|(?<![A-Za-z])ttp(s?):\/\/|[ \t]?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})[ \t]?|\[:\/\/\]|\[:\]|\[\/\]/gi;

/**
 * NFKC folds full-width Latin ("ｈｔｔｐｓ：／／ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ") and look-alike dots
 * ("．", "․") to ASCII, the same folding browsers apply to host names (UTS #46). The scan
 * then runs on this copy; positions are only used inside it, so nothing needs mapping back.
 */
export function prepareText(input: string): PreparedText {
  const folded = input.normalize('NFKC').replace(ZERO_WIDTH, '').replace(IDEOGRAPHIC_DOT, '.');
  const defangedAt: number[] = [];
  let delta = 0;
  const text = folded.replace(
    DEFANG,
    (match: string, s1: string | undefined, s2: string | undefined, offset: number): string => {
      let rep: string;
      if (match[0] === 'h' || match[0] === 'H') rep = `http${s1 ?? ''}`;
      else if (match[0] === 't' || match[0] === 'T') rep = `http${s2 ?? ''}://`;
      else if (match.includes('//')) rep = '://';
      else if (match.includes(':')) rep = ':';
      else if (match.includes('/')) rep = '/';
      else rep = '.';
      defangedAt.push(offset + delta);
      delta += rep.length - match.length;
      return rep;
    },
  );
  return { text, defangedAt };
}

/** A host region longer than this is junk, not a host (DNS names stop at 253). */
const MAX_AUTHORITY = 2048;

/**
 * The end of a URL whose authority starts at `hostStart`. Host: ASCII authority characters
 * and letters of any script (IDN). Path/query: ASCII only, since Japanese prose is usually
 * glued straight after a URL ("…/loginからログイン"); percent-encoded paths are unaffected.
 * Returns [end of the whole scan, end of the URL after trimming, authority length].
 */
function scanUrl(t: string, hostStart: number, limit: number): [number, number, number] {
  let i = hostStart;
  let lastDot = -1;
  // Whether the label since the last dot is ASCII letters only, kept as the scan goes: the
  // check below used to rescan the label at every non-ASCII letter, which is quadratic on
  // "http://x.aaaa…a1アbアbアb…" (256 KB of it took 26 s).
  let labelLetters = false;
  let cut = false;
  while (i < limit) {
    const c = t.charCodeAt(i);
    if (c < 128) {
      if ((CLASS[c] ?? 0) & HOST) {
        if (c === 46) {
          lastDot = i;
          labelLetters = true;
        } else if (!isAsciiLetter(c)) {
          labelLetters = false;
        }
        i++;
        continue;
      }
      break;
    }
    const cp = t.codePointAt(i) ?? c;
    const ch = String.fromCodePoint(cp);
    if (!WORDISH.test(ch)) break;
    // "https://example.comからログイン": an ASCII label after the last dot followed at once by
    // non-ASCII letters is a TLD with prose glued on. Cut there. (A mixed label like
    // "abcアマゾン.com" has no dot before it, so is kept.)
    if (lastDot >= 0 && i > lastDot + 1 && isAsciiAlnum(t.charCodeAt(i - 1)) && labelLetters) {
      cut = true;
      break;
    }
    labelLetters = false;
    i += ch.length;
  }
  const authority = i - hostStart;
  if (!cut && i < limit) {
    const c = t.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) {
      // "/", "?", "#"
      while (i < limit && cls(t, i) & PATH) i++;
    }
  }
  return [i, trimEnd(t, hostStart, i), authority];
}

/** Where URL forms start. Fixed strings only; a fresh instance per scan (it has state). */
const START_SOURCE = 'https?:\\/\\/|www\\.';

/**
 * Calls `emit` for each URL-like candidate in `p` in order; stops early when `emit`
 * returns false. Forms: http(s)://…, www.…, and bare domains with an ICANN TLD
 * ("amazon-co-jp.xyz からログイン", optionally followed by a /path).
 */
export function scanText(p: PreparedText, emit: (c: TextCandidate) => boolean): void {
  const t = p.text;
  const n = t.length;
  const defanged = (start: number, end: number): boolean => {
    // First defang offset >= start, by binary search.
    const a = p.defangedAt;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((a[mid] ?? 0) < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && (a[lo] ?? n) < end;
  };
  const candidate = (start: number, end: number, needsScheme: boolean): TextCandidate => ({
    raw: t.slice(start, end),
    needsScheme,
    defanged: defanged(start, end),
  });

  const START = new RegExp(START_SOURCE, 'gi');
  let pos = 0;
  for (;;) {
    let start = -1;
    let prefixLen = 0;
    let m: RegExpExecArray | null;
    while ((m = START.exec(t)) !== null) {
      const prev = m.index > 0 ? t.charCodeAt(m.index - 1) : 32;
      const isWww = m[0].length === 4;
      // "www." must begin a host: not "awww.", "x.www.", "a-www.", "user@www.".
      if (!isWww || !(isAsciiAlnum(prev) || '.-_@/\\'.includes(String.fromCharCode(prev)))) {
        start = m.index;
        prefixLen = isWww ? 0 : m[0].length;
        break;
      }
      START.lastIndex = m.index + 1;
    }
    if (!scanBare(t, pos, start < 0 ? n : start, (s, e) => emit(candidate(s, e, true)))) return;
    if (start < 0) return;
    const hostStart = start + prefixLen;
    const [scanned, end, authority] = scanUrl(t, hostStart, n);
    if (end > hostStart && authority <= MAX_AUTHORITY) {
      if (!emit(candidate(start, end, prefixLen === 0))) return;
    }
    // Never rescan what a URL scan consumed: this keeps the whole pass linear. The
    // trimmed punctuation between `end` and `scanned` is left to the bare-domain scan.
    pos = Math.max(end, start + Math.max(prefixLen, 4));
    START.lastIndex = Math.max(pos, scanned);
  }
}
