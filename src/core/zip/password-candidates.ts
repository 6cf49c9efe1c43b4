/**
 * Passwords a mail states for its own encrypted attachment. The Japanese "PPAP" habit
 * (zip with a password, password in the same or the next mail) is what Emotet copied from
 * 2020 on: "パスワード：xxxx" in the body makes the zip opaque to a gateway that does not read
 * the body, and trivially open for the victim. Reading the body the way the victim does
 * takes that cover away. These are guesses tried against the archive, so a wrong one only
 * costs a try; a missed one leaves the archive unscanned.
 */

/** Characters scanned per text: the password is near the top, and regexes stay bounded. */
const SCAN_CHARS = 256 * 1024;
/** Longer "passwords" are sentences, base64 or URLs, not something a victim types. */
const MAX_PASSWORD_CHARS = 64;
/** How far past a keyword the phrase that carries the password is looked for. */
const WINDOW_CHARS = 256;
/**
 * Keywords read per text. A notice states its password beside one of its first few
 * "パスワード"s; a text with thousands of them is padding, and reading a window after each
 * was most of the inspection of such a mail. A password hidden past this many keywords is
 * not tried, and the archive stays encrypted: reported as such, never passed as opened.
 */
const MAX_KEYWORDS = 1000;
/**
 * Longest run of printable ASCII taken as a token: a password (64 at most) with its
 * trailing punctuation. A longer run is no password however it ends, and stripping its
 * closers one by one cost time in proportion to a 256 KB line of ")".
 */
const MAX_TOKEN_CHARS = 4 * MAX_PASSWORD_CHARS;
/** Lines skipped (blank ones) when the password sits on its own line below the keyword. */
const MAX_BLANK_LINES = 4;

/**
 * Keywords, longest first so "パスワード" wins over "パス". Short English ones need an ASCII
 * word boundary ("pw" in "pwned", "pass" in "passport" are not keywords); a bare "パス" only
 * counts when a ":" or "=" follows.
 */
const KEYWORD =
  /解凍用?パスワード|パスワード|パスコード|暗証番号|パス(?=\s*[:=])|(?<![A-Za-z0-9])(?:password|passwd|passcode|pass|pwd|pw)(?![A-Za-z0-9])/giu;

/** The same keywords, for one test of a whole text (no g flag: no lastIndex to carry over). */
const KEYWORD_ANYWHERE = new RegExp(KEYWORD.source, 'iu');

/** Opening → closing quote or bracket, after NFKC (which folds （＜［＂＇ to ASCII). */
const QUOTES: ReadonlyMap<string, string> = new Map([
  ['「', '」'],
  ['『', '』'],
  ['【', '】'],
  ['《', '》'],
  ['〈', '〉'],
  ['〔', '〕'],
  ['“', '”'],
  ['‘', '’'],
  ['«', '»'],
  ['"', '"'],
  ["'", "'"],
  ['(', ')'],
  ['<', '>'],
  ['[', ']'],
  ['{', '}'],
]);
const CLOSE_TO_OPEN: ReadonlyMap<string, string> = new Map([...QUOTES].map(([open, close]) => [close, open]));

/** Sentence punctuation that follows a password in running text (NFKC folds ．， to .,). */
const TRAILING_PUNCTUATION = new Set(['。', '.', '、', ',']);

/**
 * Words that follow "password is" / "PW:" in mails that do NOT state a password ("the
 * password is sent separately", "password: required"), and the keywords themselves.
 */
const NOT_PASSWORDS = new Set([
  'a', 'above', 'an', 'and', 'are', 'as', 'at', 'attached', 'available', 'be', 'below', 'by', 'changed', 'correct',
  'enclosed', 'expired', 'follows', 'following', 'for', 'given', 'here', 'hint', 'i', 'in', 'included', 'incorrect',
  'invalid', 'is', 'it', 'listed', 'my', 'n/a', 'no', 'none', 'not', 'null', 'of', 'on', 'or', 'our', 'pass',
  'passcode', 'passwd', 'password', 'please', 'protected', 'provided', 'pw', 'pwd', 'required', 'reset', 'same',
  'send', 'sent', 'separate', 'separately', 'set', 'shown', 'stated', 'that', 'the', 'there', 'this', 'to',
  'updated', 'was', 'we', 'will', 'written', 'wrong', 'you', 'your',
]);

const JA_SEPARATOR = /^\s*(?:[:=→]|は\s*[、,:]?)?\s*/u;
/** "パスワード（半角英数）：x", "パスワードは次のとおりです：x": a short note, then ":". */
const JA_NOTE_THEN_SEPARATOR = /^[^A-Za-z0-9\n"'「『【]{0,24}?[:=]\s*/u;
/** What a line announcing a password on a later line says: 以下/下記/次, or "sent separately". */
const JA_ANNOUNCEMENT = /以下|下記|次|別|送|知らせ|連絡|通知|記載/u;
/** "The password for the attachment is ...": the qualifier between keyword and "is" / ":". */
const EN_QUALIFIER = /^\s+(?:for|of|to|on)\s[^:="'“”‘’「」『』【】<>\n]{1,60}?(?=\s+is(?![A-Za-z0-9])|\s*[:=])/iu;
const EN_SEPARATOR_COLON = /^\s*[:=]\s*/u;
const EN_SEPARATOR_WA = /^\s*は\s*[、,:]?\s*/u;
/** The closing bracket of a label: "【パスワード】", "[PW]", "<パスワード>", "■パスワード■". */
const LABEL_CLOSER = /^[\]】』」)>》〉〕■◆●]\s*/u;
const EN_SEPARATOR_IS = /^\s+is(?![A-Za-z0-9])\s*:?\s*/iu;
const EN_ANNOUNCEMENT = /^(?:is\s+)?(?:as\s+follows|below|the\s+following)\s*[:.]?\s*$/iu;
/** One more than MAX_TOKEN_CHARS, so that a longer run shows itself and is refused. */
const ASCII_TOKEN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_TOKEN_CHARS + 1}}`, 'u');

/**
 * Candidate passwords stated in `texts` (the subject, decoded text/plain parts, text
 * extracted from HTML), in order of appearance and deduplicated, followed by `extra` (the
 * administrator's list), at most `max` in all.
 */
export function passwordCandidates(texts: readonly string[], extra: readonly string[], max: number): string[] {
  const found = new Set<string>();
  const limit = Math.max(0, Math.floor(max));
  for (const text of texts) {
    if (found.size >= limit) break;
    for (const candidate of statedIn(text)) {
      found.add(candidate);
      if (found.size >= limit) break;
    }
  }
  for (const candidate of extra) {
    if (found.size >= limit) break;
    if (candidate !== '') found.add(candidate);
  }
  return [...found].slice(0, limit);
}

function statedIn(text: string): string[] {
  // NFKC: full-width ＰＷ：ａｂｃ１２３ and the ideographic space are what a Japanese IME
  // produces; the victim reads them as PW:abc123, and so must we.
  const scanned = text.slice(0, SCAN_CHARS).normalize('NFKC');
  // Most mail names no password at all: one scan of the whole text says so, where matching
  // line by line costs ~40 times as much (PPAP pairing reads every passing mail's text).
  if (!KEYWORD_ANYWHERE.test(scanned)) return [];
  const lines = scanned.split(/\r\n|\r|\n/u);
  const out: string[] = [];
  let keywords = 0;
  for (let i = 0; i < lines.length && keywords < MAX_KEYWORDS; i++) {
    const line = lines[i] as string;
    let announcesNextLine = false;
    for (const match of line.matchAll(KEYWORD)) {
      if (++keywords > MAX_KEYWORDS) break;
      const end = (match.index ?? 0) + match[0].length;
      const rest = line.slice(end, end + WINDOW_CHARS);
      const hit = afterKeyword(match[0], rest, line.length - end <= WINDOW_CHARS);
      if (hit === 'next-line') announcesNextLine = true;
      else if (hit !== undefined) out.push(hit);
    }
    if (announcesNextLine) {
      const next = nextNonEmptyLine(lines, i);
      if (next !== undefined) {
        const value = passwordAloneOnLine(next);
        if (value !== undefined) out.push(value);
      }
    }
  }
  return out;
}

/**
 * Reads what follows one keyword: a password, 'next-line' when the line announces one below
 * ("パスワードは以下のとおりです", "Password:" at the end of the line), or undefined.
 */
function afterKeyword(keyword: string, text: string, restIsLineEnd: boolean): string | 'next-line' | undefined {
  const english = /^[A-Za-z]/u.test(keyword);
  const short = english && !/^pass(?:word|wd|code)$/iu.test(keyword);
  let rest = text;
  // "【パスワード】abc", "[PW] abc": the keyword is a label in brackets; read past the closer.
  const label = LABEL_CLOSER.exec(rest)?.[0].length ?? 0;
  rest = rest.slice(label);

  if (!english) {
    // A note before the separator first, so "パスワード（半角）：x" does not read "半角" as the
    // password; the note cannot cross an opening quote, so "パスワード「a:b」" stays whole.
    const noted = JA_NOTE_THEN_SEPARATOR.exec(rest);
    if (noted !== null) {
      const afterNote = rest.slice(noted[0].length);
      const value = valueAt(afterNote);
      if (value !== undefined) return value;
      if (restIsLineEnd && afterNote.trim() === '') return 'next-line';
    }
    const sep = JA_SEPARATOR.exec(rest)?.[0] ?? '';
    const value = valueAt(rest.slice(sep.length));
    if (value !== undefined) return value;
    const tail = rest.slice(sep.length).trim();
    if (restIsLineEnd && !/[A-Za-z0-9]/u.test(tail) && (tail === '' || JA_ANNOUNCEMENT.test(tail))) return 'next-line';
    return undefined;
  }

  let pos = short || label > 0 ? 0 : (EN_QUALIFIER.exec(rest)?.[0].length ?? 0);
  const afterQualifier = rest.slice(pos);
  const sep =
    EN_SEPARATOR_COLON.exec(afterQualifier) ??
    // "PWは「abc」です": an English keyword in a Japanese sentence takes Japanese separators.
    EN_SEPARATOR_WA.exec(afterQualifier) ??
    (short ? null : EN_SEPARATOR_IS.exec(afterQualifier)) ??
    // "[PW] abc": the label's closing bracket was the separator.
    (label > 0 ? /^\s*/u.exec(afterQualifier) : null);
  if (sep === null) {
    if (short) return undefined;
    // "password 'xyz'" with no separator: only a quoted value counts ("password reset" does not).
    const spaced = /^\s+/u.exec(afterQualifier)?.[0].length ?? 0;
    const quoted = spaced > 0 ? quotedAt(afterQualifier.slice(spaced)) : undefined;
    if (typeof quoted === 'string') return quoted;
    return restIsLineEnd && EN_ANNOUNCEMENT.test(afterQualifier.trim()) ? 'next-line' : undefined;
  }
  pos += sep[0].length;
  const tail = rest.slice(pos);
  const value = valueAt(tail);
  if (value !== undefined) return value;
  if (!restIsLineEnd) return undefined;
  if (tail.trim() === '' || (!short && EN_ANNOUNCEMENT.test(tail.trim()))) return 'next-line';
  return undefined;
}

/** A quoted/bracketed value, or an unquoted run of printable ASCII, at the start of `s`. */
function valueAt(s: string): string | undefined {
  const quoted = quotedAt(s);
  if (quoted === null) return tokenAt(s.slice(1));
  if (quoted !== undefined) return quoted;
  return tokenAt(s);
}

/**
 * The inside of a quote or bracket opening `s`: the string, null when it opens one that does
 * not close within reach (the caller then reads past the opener), undefined when `s` opens
 * no quote at all or the inside is empty or too long.
 */
function quotedAt(s: string): string | null | undefined {
  const open = s[0];
  if (open === undefined) return undefined;
  const close = QUOTES.get(open);
  if (close === undefined) return undefined;
  const end = s.indexOf(close, 1);
  if (end < 0 || end > MAX_PASSWORD_CHARS + 2) return null;
  const inner = s.slice(1, end).trim();
  return acceptable(inner) ? inner : undefined;
}

function tokenAt(s: string): string | undefined {
  const raw = ASCII_TOKEN.exec(s)?.[0];
  if (raw === undefined || raw.length > MAX_TOKEN_CHARS) return undefined;
  const token = stripTrailing(raw);
  if (!acceptable(token) || NOT_PASSWORDS.has(token.toLowerCase())) return undefined;
  return token;
}

/**
 * Drops sentence punctuation, a dangling opener, and closers whose opener is not in the token.
 * One pass from the end with running counts: slicing and re-counting the token per dropped
 * character (as this did) is quadratic on a token of 256 KB of ")" under "パスワードは以下".
 */
function stripTrailing(token: string): string {
  const counts = new Map<string, number>();
  for (const c of token) if (QUOTES.has(c) || CLOSE_TO_OPEN.has(c)) counts.set(c, (counts.get(c) ?? 0) + 1);
  let end = token.length;
  for (;;) {
    // Trailing characters are all single UTF-16 units here (quotes, brackets, punctuation);
    // a surrogate pair at the end is no opener, closer or punctuation and stops the loop.
    const last = end > 0 ? (token[end - 1] as string) : undefined;
    if (last === undefined) return token.slice(0, end);
    const opener = CLOSE_TO_OPEN.get(last);
    const unclosed = last !== '"' && last !== "'" && QUOTES.has(last); // "abc123(半角)" after NFKC
    const drop =
      TRAILING_PUNCTUATION.has(last) ||
      unclosed ||
      (opener !== undefined && opener !== last && (counts.get(opener) ?? 0) === 0) ||
      ((last === '"' || last === "'") && (counts.get(last) ?? 0) % 2 === 1);
    if (!drop) return token.slice(0, end);
    const left = counts.get(last);
    if (left !== undefined) counts.set(last, left - 1);
    end--;
  }
}

function acceptable(value: string): boolean {
  return value.length > 0 && value.length <= MAX_PASSWORD_CHARS && !/[\x00-\x1f\x7f]/u.test(value);
}

function nextNonEmptyLine(lines: readonly string[], from: number): string | undefined {
  for (let j = from + 1; j <= from + 1 + MAX_BLANK_LINES && j < lines.length; j++) {
    const line = lines[j] as string;
    if (line.trim() !== '') return line;
  }
  return undefined;
}

/**
 * The password on a line of its own under an announcing line: one quoted value or one ASCII
 * token, optionally followed by a note in Japanese or in brackets ("abc-1234 （半角）"), but
 * not by more English words: then it is a sentence, not a password.
 */
function passwordAloneOnLine(line: string): string | undefined {
  const s = line.trim();
  if (s.includes('://')) return undefined;
  const quoted = quotedAt(s);
  if (typeof quoted === 'string') return quoted;
  const raw = ASCII_TOKEN.exec(s)?.[0];
  if (raw === undefined) return undefined;
  const after = s.slice(raw.length).trim();
  if (after !== '' && /^[\x21-\x7e]/u.test(after) && !QUOTES.has(after[0] as string)) return undefined;
  const token = tokenAt(raw);
  return token !== undefined && token.length >= 3 ? token : undefined;
}
