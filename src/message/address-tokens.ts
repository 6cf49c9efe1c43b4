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

const SPECIALS = new Set<string>(['<', '>', '@', ',', ';', ':', '.']);
/** One token object per special and for blanks: a value of 8 KB of them allocates none. */
const SPECIAL_TOKENS = new Map<string, Token>([...SPECIALS].map((c) => [c, { kind: 'special', text: c as Special }]));
const SPACE: Token = { kind: 'space', text: ' ' };
/** Characters that end an atom; "[" and "]" only matter at the start of a domain literal. */
const BLANK = new Set<string>([' ', '\t', '\r', '\n']);
/** ASCII codes that end an atom, as a table: a Set look-up per character was most of tokenizing. */
const ATOM_END = new Uint8Array(128);
for (const c of [...SPECIALS, '"', '(', ')', ...BLANK]) ATOM_END[c.charCodeAt(0)] = 1;
const endsAtom = (code: number) => code < 128 && ATOM_END[code] === 1;

export interface Lexed {
  readonly tokens: Token[];
  /** Offset of a '"' that no other closes (its quoted string runs to the end); -1 when none. */
  readonly unclosedQuote: number;
}

export function tokenize(value: string): Lexed {
  const tokens: Token[] = [];
  let unclosedQuote = -1;
  let i = 0;
  // Offset below which no "=?" starts a closed encoded-word (see encodedWordEnd).
  let noWordBefore = -1;
  while (i < value.length) {
    const c = value[i] as string;
    if (BLANK.has(c)) {
      while (i < value.length && BLANK.has(value[i] as string)) i++;
      tokens.push(SPACE);
    } else if (c === '"') {
      const { text, end, closed } = delimited(value, i + 1, '"');
      if (!closed) unclosedQuote = i;
      tokens.push({ kind: 'quoted', text });
      i = end;
    } else if (c === '(') {
      const { text, end } = comment(value, i + 1);
      tokens.push({ kind: 'comment', text });
      i = end;
    } else if (c === '[') {
      const close = value.indexOf(']', i + 1);
      const end = close < 0 ? value.length : close + 1;
      tokens.push({ kind: 'literal', text: value.slice(i, end) });
      i = end;
    } else if (SPECIALS.has(c)) {
      tokens.push(SPECIAL_TOKENS.get(c) as Token);
      i++;
    } else if (c === ')') {
      // A stray closing parenthesis is text, as in clients that show it.
      tokens.push({ kind: 'atom', text: c });
      i++;
    } else {
      const start = i;
      while (i < value.length && !endsAtom(value.charCodeAt(i))) {
        if (value[i] === '=' && value[i + 1] === '?' && i >= noWordBefore) {
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
    const c = value[i] as string;
    if (BLANK.has(c)) return -i;
    if (c !== '?') continue;
    q++;
    // "=?charset?B?text?=": the closing "?=" is the third "?" after the opening one.
    if (q >= 3 && value[i + 1] === '=') return i + 2;
  }
  return -value.length;
}

/** A quoted string's content up to the unescaped `close`, or to the end of the value. */
function delimited(value: string, from: number, close: string): { text: string; end: number; closed: boolean } {
  let text = '';
  let i = from;
  let run = from;
  while (i < value.length && value[i] !== close) {
    if (value[i] === '\\' && i + 1 < value.length) {
      text += value.slice(run, i);
      run = ++i;
    }
    i++;
  }
  text += value.slice(run, i);
  return { text, end: Math.min(value.length, i + 1), closed: i < value.length };
}

/** A comment's content; comments nest (RFC 5322 §3.2.2), the inner parentheses stay in the text. */
function comment(value: string, from: number): { text: string; end: number } {
  let text = '';
  let depth = 1;
  let i = from;
  for (; i < value.length; i++) {
    let c = value[i] as string;
    if (c === '\\' && i + 1 < value.length) c = value[++i] as string;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) break;
    text += c;
  }
  return { text, end: Math.min(value.length, i + 1) };
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
