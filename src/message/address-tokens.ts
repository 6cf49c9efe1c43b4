/**
 * The lexical layer of address fields (RFC 5322 §3.2 and the obsolete syntax of §4.4), as
 * forgiving as mail clients are: an unterminated quoted string, comment or domain literal
 * runs to the end of the value, a backslash escapes the next character inside quotes and
 * comments (§3.2.1 quoted-pair), and an RFC 2047 encoded-word is kept whole inside an atom
 * even when its text holds specials ("=?UTF-8?Q?Apple,_Inc.?="), so that a client's decoding
 * cannot split it differently from ours. One pass, no backtracking.
 */

export type Token =
  /** A run of atext, non-ASCII characters and encoded-words. */
  | { readonly kind: 'atom'; readonly text: string }
  /** A quoted string's content, quoted-pairs resolved. */
  | { readonly kind: 'quoted'; readonly text: string }
  /** A comment's content (nested comments kept with their parentheses), quoted-pairs resolved. */
  | { readonly kind: 'comment'; readonly text: string }
  /** A domain literal, brackets included: "[192.0.2.1]". */
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'special'; readonly text: Special }
  /** Folding whitespace, however long. */
  | { readonly kind: 'space'; readonly text: ' ' };

export type Special = '<' | '>' | '@' | ',' | ';' | ':' | '.';

const SPECIALS = ['<', '>', '@', ',', ';', ':', '.'] as const;
const SPACE: Token = { kind: 'space', text: ' ' };
/**
 * Per ASCII code: 1 for a blank, 2 for a special, 3 for another character that ends an atom
 * ('"', '(', ')'). "[" and "]" only matter at the start of a domain literal. Tables, not Sets
 * of one-character strings: a look-up per character was most of tokenizing, and a value of
 * 8 KB of "> > > " is 8,000 tokens (bench/adversarial-bench.mjs, header-from-runs).
 */
const CLASS = new Uint8Array(128);
const IS_BLANK = 1;
const IS_SPECIAL = 2;
const ENDS_ATOM = 3;
for (const c of [' ', '\t', '\r', '\n']) CLASS[c.charCodeAt(0)] = IS_BLANK;
for (const c of SPECIALS) CLASS[c.charCodeAt(0)] = IS_SPECIAL;
for (const c of ['"', '(', ')']) CLASS[c.charCodeAt(0)] = ENDS_ATOM;
/** One token object per special, shared: a value of 8 KB of them allocates none. */
const SPECIAL_TOKENS: Token[] = [];
for (const c of SPECIALS) SPECIAL_TOKENS[c.charCodeAt(0)] = { kind: 'special', text: c };
const classOf = (code: number) => (code < 128 ? (CLASS[code] as number) : 0);

const QUOTE = 0x22;
const OPEN = 0x28;
const CLOSE = 0x29;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const QUESTION = 0x3f;

export interface Lexed {
  readonly tokens: Token[];
  /** Offset of a '"' that no other closes (its quoted string runs to the end); -1 when none. */
  readonly unclosedQuote: number;
}

export function tokenize(value: string): Lexed {
  const tokens: Token[] = [];
  let unclosedQuote = -1;
  let i = 0;
  const n = value.length;
  // Offset below which no "=?" starts a closed encoded-word (see encodedWordEnd).
  let noWordBefore = -1;
  while (i < n) {
    const code = value.charCodeAt(i);
    const cls = classOf(code);
    if (cls === IS_BLANK) {
      while (i < n && classOf(value.charCodeAt(i)) === IS_BLANK) i++;
      tokens.push(SPACE);
    } else if (code === QUOTE) {
      const { text, end, closed } = delimited(value, i + 1);
      if (!closed) unclosedQuote = i;
      tokens.push({ kind: 'quoted', text });
      i = end;
    } else if (code === OPEN) {
      const { text, end } = comment(value, i + 1);
      tokens.push({ kind: 'comment', text });
      i = end;
    } else if (code === 0x5b) {
      const close = value.indexOf(']', i + 1);
      const end = close < 0 ? n : close + 1;
      tokens.push({ kind: 'literal', text: value.slice(i, end) });
      i = end;
    } else if (cls === IS_SPECIAL) {
      tokens.push(SPECIAL_TOKENS[code] as Token);
      i++;
    } else if (code === CLOSE) {
      // A stray closing parenthesis is text, as in clients that show it.
      tokens.push({ kind: 'atom', text: ')' });
      i++;
    } else {
      const start = i;
      while (i < n) {
        const c = value.charCodeAt(i);
        if (classOf(c) !== 0) break;
        if (c === EQUALS && value.charCodeAt(i + 1) === QUESTION && i >= noWordBefore) {
          const end = encodedWordEnd(value, i);
          if (end > 0) {
            i = end;
            continue;
          }
          noWordBefore = -end;
        }
        i++;
      }
      tokens.push({ kind: 'atom', text: value.slice(start, i) });
    }
  }
  return { tokens, unclosedQuote };
}

/**
 * The end of the encoded-word at `start` when it is closed by "?=" before any blank; else the
 * negated offset where the search stopped, below which no later "=?" can succeed either.
 */
function encodedWordEnd(value: string, start: number): number {
  let q = 0;
  for (let i = start + 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (classOf(c) === IS_BLANK) return -i;
    if (c !== QUESTION) continue;
    q++;
    // "=?charset?B?text?=": the closing "?=" is the third "?" after the opening one.
    if (q >= 3 && value.charCodeAt(i + 1) === EQUALS) return i + 2;
  }
  return -value.length;
}

/** A quoted string's content up to the unescaped '"', or to the end of the value. */
function delimited(value: string, from: number): { text: string; end: number; closed: boolean } {
  let text = '';
  let i = from;
  let run = from;
  const n = value.length;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === QUOTE) break;
    if (c === BACKSLASH && i + 1 < n) {
      text += value.slice(run, i);
      run = ++i;
    }
    i++;
  }
  text += value.slice(run, i);
  return { text, end: Math.min(n, i + 1), closed: i < n };
}

/** A comment's content; comments nest (RFC 5322 §3.2.2), the inner parentheses stay in the text. */
function comment(value: string, from: number): { text: string; end: number } {
  let text = '';
  let depth = 1;
  let i = from;
  let run = from;
  const n = value.length;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < n) {
      // The backslash goes, the character after it stays (§3.2.1 quoted-pair).
      text += value.slice(run, i);
      run = ++i;
    } else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) break;
  }
  text += value.slice(run, i);
  return { text, end: Math.min(n, i + 1) };
}

/** Tokens as text: quoted strings unquoted, comments in parentheses, blanks as one space. */
export function render(tokens: readonly Token[], comments: boolean): string {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'comment') {
      if (comments) out += `(${t.text})`;
      else if (out !== '' && !out.endsWith(' ')) out += ' ';
    } else out += t.text;
  }
  return out.replace(/ {2,}/g, ' ').trim();
}
