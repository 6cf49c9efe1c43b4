/**
 * Header text as a mail client shows it: the raw bytes of a field value (folded, RFC 2047
 * encoded-words, raw 8-bit UTF-8 or Japanese legacy charsets) decoded to the text a reader
 * sees. Shared by the inspection core (header facts), the edit step (subject tags) and the
 * quarantine (what an admin searches by), so that all three read a header the same way.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';

const ESC = 0x1b;

/**
 * The text of a raw Subject value (the bytes after "Subject:", folded or not). RFC 2047
 * encoded-words are decoded by libmime, the decoder mailparser and most Node mail tools use,
 * so the text is the one a client shows. Raw bytes come first: 8-bit text as UTF-8 when it is
 * valid (RFC 6532), else as Japanese; 7-bit text with escape sequences as ISO-2022-JP, which
 * old Japanese mailers put in headers without any encoded-word (RFC 1468 only covers bodies).
 */
export function decodeSubject(raw: Buffer): string {
  return decodeHeaderText(raw);
}

/**
 * decodeSubject for any unstructured or display field (From, Sender): same rules. With
 * `maxChars`, the text is cut after its bytes are read as characters and before the
 * encoded-words are decoded: a cut in the bytes could split a character, and a raw UTF-8
 * or Shift_JIS value that no longer decodes as such would be read as another charset,
 * garbled from its first character (a phish padding its Subject past the cut would hide
 * the brand it names).
 */
export function decodeHeaderText(raw: Buffer, maxChars = Infinity): string {
  let text = fieldText(raw);
  if (text.length > maxChars) text = text.slice(0, maxChars);
  // decodeWords only rewrites encoded-words (and its own join marker, only in its output):
  // without "=?" it returns its input after five regex passes. This runs on every message
  // (Subject and From of the header facts, the brand checks' Subject), nearly all plain.
  if (!text.includes('=?')) return trimWsp(text);
  try {
    text = libmime.decodeWords(text);
  } catch {
    // A broken encoded-word stays as written, the way clients show it.
  }
  return trimWsp(text);
}

/**
 * Raw 8-bit header text. Japanese mail without a declared charset is Shift_JIS (CP932, what
 * Windows and Japanese phones write) or EUC-JP (old Unix mailers). Their byte ranges overlap,
 * so each reading is scored: an invalid sequence is the strong signal (nearly every Shift_JIS
 * lead byte, 0x81-0x9F, is invalid EUC-JP), half-width katakana the weak one (EUC-JP kana and
 * kanji read as Shift_JIS come out as runs of them, real subjects rarely use them). When both
 * readings are broken the bytes are not Japanese: windows-1252 keeps each byte a character.
 */
export function decode8bit(bytes: Buffer): string {
  // isUtf8 answers without an exception: a fatal TextDecoder throws on every Shift_JIS
  // header, and building that error was 40 % of decoding a field of many small words.
  if (isUtf8(bytes)) return bytes.toString('utf8');
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

/**
 * The characters of a structured field value (From, Sender) from its raw bytes, unfolded and
 * with encoded-words left as they are: the address parser must see the specials where the
 * sender wrote them, and only then decode each piece of text (mailbox.ts). The bytes are
 * decoded first all the same, since ISO-2022-JP and Shift_JIS bytes include "<", "@", "\\"
 * and quote marks that are halves of Japanese characters.
 */
export function fieldText(raw: Buffer): string {
  const text = unfoldedLatin1(raw);
  // Nearly every field is ASCII without escapes: no second copy of it as bytes.
  if (isAscii(raw) && !raw.includes(ESC)) return text;
  const value = Buffer.from(text, 'latin1');
  if (!isAscii(value)) return decode8bit(value);
  return decodeCharset(value, 'ISO-2022-JP');
}

/**
 * Every reading of a structured field's raw bytes a client may show: fieldText's, and for
 * 8-bit bytes that are not UTF-8 also windows-1252, which a client set to a Western locale
 * shows where a Japanese one shows Shift_JIS ("aèxp.com" or "a閂p.com" from the same bytes).
 */
export function fieldTexts(raw: Buffer): string[] {
  const text = fieldText(raw);
  if (isAscii(raw) || isUtf8(raw)) return [text];
  const western = iconv.decode(Buffer.from(unfoldedLatin1(raw), 'latin1'), 'windows-1252');
  return western === text ? [text] : [text, western];
}

/** RFC 5322 §2.2.3: unfolding removes the line break only, the WSP after it stays. */
function unfoldedLatin1(raw: Buffer): string {
  const text = raw.toString('latin1');
  return text.includes('\n') ? trimEnd(text.replace(/\r?\n(?=[ \t])/g, ''), '\r\n') : text;
}

/** RFC 5322 WSP and line breaks only: an ideographic space (U+3000) is part of the subject. */
export function trimWsp(text: string): string {
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

