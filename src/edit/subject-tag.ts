/**
 * Tagging the Subject: decode whatever the sender wrote, take off any tag already there,
 * put ours in front and write the result back so that every mail client shows exactly
 * tag + the subject the sender meant.
 */
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { foldLines, MAX_LINE, type LineEnding } from './header-block.js';

const ESC = 0x1b;

/**
 * The text of a raw Subject value (the bytes after "Subject:", folded or not). RFC 2047
 * encoded-words are decoded by libmime, the decoder mailparser and most Node mail tools use,
 * so the text is the one a client shows. Raw bytes come first: 8-bit text as UTF-8 when it is
 * valid (RFC 6532), else as Japanese; 7-bit text with escape sequences as ISO-2022-JP, which
 * old Japanese mailers put in headers without any encoded-word (RFC 1468 only covers bodies).
 */
export function decodeSubject(raw: Buffer): string {
  // RFC 5322 §2.2.3: unfolding removes the line break only, the WSP after it stays.
  const value = Buffer.from(trimEnd(raw.toString('latin1').replace(/\r?\n(?=[ \t])/g, ''), '\r\n'), 'latin1');
  let text: string;
  if (value.some((b) => b >= 0x80)) text = decode8bit(value);
  else if (value.includes(ESC)) text = decodeCharset(value, 'ISO-2022-JP');
  else text = value.toString('latin1');
  try {
    text = libmime.decodeWords(text);
  } catch {
    // A broken encoded-word stays as written, the way clients show it.
  }
  return trimWsp(text);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Raw 8-bit header text. Japanese mail without a declared charset is Shift_JIS (CP932, what
 * Windows and Japanese phones write) or EUC-JP (old Unix mailers). Their byte ranges overlap,
 * so each reading is scored: an invalid sequence is the strong signal (nearly every Shift_JIS
 * lead byte, 0x81-0x9F, is invalid EUC-JP), half-width katakana the weak one (EUC-JP kana and
 * kanji read as Shift_JIS come out as runs of them, real subjects rarely use them). When both
 * readings are broken the bytes are not Japanese: windows-1252 keeps each byte a character.
 */
function decode8bit(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Not UTF-8: one of the Japanese legacy charsets below.
  }
  const sjis = iconv.decode(bytes, 'cp932');
  const euc = iconv.decode(bytes, 'euc-jp');
  const sjisScore = japaneseScore(sjis);
  const eucScore = japaneseScore(euc);
  if (sjisScore >= 1000 && eucScore >= 1000) return iconv.decode(bytes, 'windows-1252');
  return eucScore < sjisScore ? euc : sjis;
}

function japaneseScore(text: string): number {
  const invalid = text.match(/\uFFFD/g)?.length ?? 0;
  const halfwidthKana = text.match(/[\uFF61-\uFF9F]/g)?.length ?? 0;
  return invalid * 1000 + halfwidthKana;
}

/** RFC 5322 WSP and line breaks only: an ideographic space (U+3000) is part of the subject. */
function trimWsp(text: string): string {
  let start = 0;
  while (start < text.length && ' \t\r\n'.includes(text[start] as string)) start++;
  return trimEnd(text.slice(start), ' \t\r\n');
}

/**
 * `text` without trailing characters of `chars`. A loop, not /[…]+$/: an anchored run
 * pattern retries from every character of a run that is not at the end, quadratic on a
 * Subject of blanks or bare CRs (40,000 of them took 3 to 6 s; the header block allows 1 MB).
 */
function trimEnd(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

/**
 * Reply and forward prefixes clients put in front, tags included ("Re: [SUSPICIOUS] x"):
 * English, the German/Nordic/French ones Outlook writes, and the Japanese Outlook and
 * Thunderbird localisations. A counter ("Re[2]:") and a full-width colon are accepted too.
 */
const REPLY_PREFIX = /^(?:re|fwd?|aw|wg|sv|vs|tr|rv|返信|転送|回复|转发)[ \t]*(?:\[\d+\]|\(\d+\))?[ \t]*[:：][ \t]*/i;

/**
 * The subject with every known tag removed wherever a client leaves one: at the start and
 * behind reply/forward prefixes, each time it was added. Without this a message tagged on
 * the way in and replied to, or relayed twice, reads "[SUSPICIOUS] Re: [SUSPICIOUS] …".
 */
export function stripTags(subject: string, knownPrefixes: readonly string[]): string {
  const tags = [...new Set(knownPrefixes.map(trimWsp).filter((t) => t !== ''))].map((t) => ({ t, lower: t.toLowerCase() }));
  let kept = '';
  let rest = subject;
  for (;;) {
    const lead = /^[ \t]*/.exec(rest)?.[0] ?? '';
    const body = rest.slice(lead.length);
    const tag = tags.find(({ t, lower }) => body.slice(0, t.length).toLowerCase() === lower && !wordContinues(t, body.charAt(t.length)));
    if (tag) {
      rest = body.slice(tag.t.length).replace(/^[ \t]+/, '');
      continue;
    }
    const reply = REPLY_PREFIX.exec(body);
    if (!reply) break;
    kept += lead + reply[0];
    rest = body.slice(reply[0].length);
  }
  return kept + rest;
}

/** A tag that ends in a letter ("SPAM") is not found at the start of a longer word ("SPAMALOT"). */
function wordContinues(tag: string, next: string): boolean {
  return /[\p{L}\p{N}]$/u.test(tag) && /^[\p{L}\p{N}]/u.test(next);
}

const WORD_HEAD = '=?UTF-8?B?';
const WORD_TAIL = '?=';
/** RFC 2047 §2: an encoded-word is at most 75 characters; 45 bytes make 60 base64 characters. */
const WORD_BYTES = Math.floor((75 - WORD_HEAD.length - WORD_TAIL.length) / 4) * 3;
/** The first word shares its line with "Subject: ", and that line must stay within 78 too. */
const FIRST_WORD_BYTES = Math.floor((MAX_LINE - 'Subject: '.length - WORD_HEAD.length - WORD_TAIL.length) / 4) * 3;

/**
 * The whole "Subject: …" field, line ending included. Printable ASCII goes as it is, folded
 * at whitespace. Anything else, and ASCII that would read as an encoded-word ("=?") or cannot
 * fold within 78 characters, goes as UTF-8 B encoded-words, one per line: clients drop the
 * folding whitespace between adjacent encoded-words (RFC 2047 §6.2), so the text comes back
 * exactly, control characters included, and a CR or LF in the decoded subject can never
 * become a line of the header.
 */
export function encodeSubject(text: string, lineEnding: LineEnding): string {
  if (/^[\x20-\x7e\t]*$/.test(text) && !text.includes('=?')) {
    if (text === '') return `Subject:${lineEnding}`;
    const lines = foldLines('Subject', text);
    if (lines.every((line) => line.length <= MAX_LINE)) return lines.join(lineEnding) + lineEnding;
  }
  const words: string[] = [];
  let budget = FIRST_WORD_BYTES;
  let chunk = '';
  let chunkBytes = 0;
  // Iterating by code point keeps a surrogate pair, and so each UTF-8 sequence, in one word
  // (RFC 2047 §5: an encoded-word must hold whole characters).
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (chunk !== '' && chunkBytes + size > budget) {
      words.push(encodedWord(chunk));
      budget = WORD_BYTES;
      chunk = '';
      chunkBytes = 0;
    }
    chunk += ch;
    chunkBytes += size;
  }
  words.push(encodedWord(chunk));
  return `Subject: ${words.join(`${lineEnding} `)}${lineEnding}`;
}

function encodedWord(text: string): string {
  return `${WORD_HEAD}${Buffer.from(text, 'utf8').toString('base64')}${WORD_TAIL}`;
}

/**
 * The tagged Subject field ("Subject: …" and the line ending), from the raw value of the
 * message's Subject (undefined when it has none). Tags already there are stripped first, so
 * the result carries `prefix` exactly once; an empty subject becomes the tag alone.
 */
export function tagSubject(
  rawSubjectValue: Buffer | undefined,
  prefix: string,
  knownPrefixes: readonly string[],
  lineEnding: LineEnding = '\r\n',
): string {
  const original = rawSubjectValue === undefined ? '' : decodeSubject(rawSubjectValue);
  const rest = stripTags(original, [prefix, ...knownPrefixes]);
  const text = rest === '' ? prefix.replace(/[ \t]+$/, '') : prefix + rest;
  return encodeSubject(text, lineEnding);
}
