/**
 * RFC 2047 encoded-words as mail clients decode them, not only as the RFC allows them.
 * Phishers write for what the reader sees, so the decoder accepts what some client shows:
 * encoded-words inside quoted strings and inside longer words, any charset a client knows
 * (ISO-2022-JP, Shift_JIS, GB2312, KOI8-R, UTF-7…), RFC 2231 language tags
 * (`=?UTF-8*ja?B?…?=`), base64 with padding in the middle or none at the end, and a
 * multi-byte character or an ISO-2022-JP escape state split across adjacent words (their
 * bytes are joined before the charset is applied, RFC 2047 §6.2 drops the whitespace
 * between them). A word without its closing `?=` is text to the RFC and to most clients;
 * `lenient` decodes it to the end of its run of non-blank characters, as a few clients do.
 *
 * One pass over the text: a start that did not end in a word is never scanned again.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { decode as decodeCharset, normalizeCharset } from 'libmime/lib/charset.js';
import { decode8bit } from './header-text.js';

/** Charset names are short ("ISO-2022-JP", "windows-1252"); a longer run is no encoded-word. */
const MAX_CHARSET = 64;

interface Word {
  /** Offset just past the word. */
  readonly end: number;
  readonly charset: string;
  readonly bytes: Buffer;
}

export function decodeEncodedWords(text: string, lenient = false): string {
  if (!text.includes('=?')) return text;
  let out = '';
  let pos = 0;
  // Offset up to which every "=?" is known not to start a word (see parseWord).
  let failedUntil = -1;
  // Bytes of adjacent words in one charset, decoded together.
  let run: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (run) out += bytesToText(Buffer.concat(run.bytes), run.charset);
    run = undefined;
  };
  while (pos < text.length) {
    const start = text.indexOf('=?', pos);
    if (start < 0) break;
    let word: Word | undefined;
    if (start >= failedUntil) {
      const parsed = parseWord(text, start, lenient);
      if (typeof parsed === 'number') failedUntil = parsed;
      else word = parsed;
    }
    if (!word) {
      flush();
      out += text.slice(pos, start + 2);
      pos = start + 2;
      continue;
    }
    const between = text.slice(pos, start);
    // Only blanks between this word and the one before: RFC 2047 §6.2 drops them.
    if (!(run && isBlank(between))) {
      flush();
      out += between;
    }
    if (run && run.charset !== word.charset) flush();
    run ??= { charset: word.charset, bytes: [] };
    run.bytes.push(word.bytes);
    pos = word.end;
  }
  flush();
  return out + text.slice(pos);
}

/**
 * The encoded-word at `start` ("=?"), or the offset where looking for its end stopped: every
 * later "=?" before that offset would stop at the same place without an end either.
 */
function parseWord(text: string, start: number, lenient: boolean): Word | number {
  let i = start + 2;
  const charsetEnd = Math.min(text.length, i + MAX_CHARSET);
  while (i < charsetEnd && text[i] !== '?' && !isBlankChar(text[i])) i++;
  if (text[i] !== '?' || i === start + 2) return start + 2;
  const charset = text.slice(start + 2, i);
  const encoding = text[i + 1]?.toLowerCase();
  if ((encoding !== 'b' && encoding !== 'q') || text[i + 2] !== '?') return start + 2;
  const payloadStart = i + 3;
  let k = payloadStart;
  while (k < text.length && !isBlankChar(text[k]) && !(text[k] === '?' && text[k + 1] === '=')) k++;
  const closed = text[k] === '?' && text[k + 1] === '=';
  if (!closed && !lenient) return k;
  const payload = text.slice(payloadStart, k);
  const bytes = encoding === 'b' ? base64Bytes(payload) : qBytes(payload);
  return { end: closed ? k + 2 : k, charset, bytes };
}

/**
 * Base64 the way forgiving decoders read it: padding in the middle ends a quantum, not the
 * word ("QXBw=bGU=" is "Apple"; Node's own decoder stops at the first "=" and gives "App").
 */
function base64Bytes(payload: string): Buffer {
  const pieces: Buffer[] = [];
  for (const piece of payload.split('=')) if (piece !== '') pieces.push(Buffer.from(piece, 'base64'));
  return Buffer.concat(pieces);
}

/** RFC 2047 §4.2: "_" is a space, "=XX" a byte; anything else stands for itself. */
function qBytes(payload: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    if (c === 0x5f) bytes.push(0x20);
    else if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(payload.slice(i + 1, i + 3))) {
      bytes.push(parseInt(payload.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(payload[i] as string)) bytes.push(b);
  }
  return Buffer.from(bytes);
}

/**
 * Bytes in the word's charset. UTF-7 is decoded too, although libmime refuses it: it is
 * a way to smuggle markup into HTML, but here the text is only read, and Outlook shows it.
 * An unknown or misspelt charset is read the way a raw header would be (UTF-8 when valid,
 * else Japanese or windows-1252).
 */
function bytesToText(bytes: Buffer, rawCharset: string): string {
  const star = rawCharset.indexOf('*');
  const name = (star >= 0 ? rawCharset.slice(0, star) : rawCharset).trim();
  const lower = name.toLowerCase();
  if (lower === 'utf-7' || lower === 'utf7' || lower === 'unicode-1-1-utf-7') return iconv.decode(bytes, 'utf7');
  const charset = normalizeCharset(name);
  if (/^(?:(?:us-)?ascii|utf-?8)$/i.test(charset)) return isUtf8(bytes) ? bytes.toString('utf8') : decode8bit(bytes);
  if (/^(?:jis|iso-?2022-?jp|eucjp)/i.test(charset) || iconv.encodingExists(charset)) return decodeCharset(bytes, charset);
  return isUtf8(bytes) ? bytes.toString('utf8') : decode8bit(bytes);
}

function isBlankChar(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isBlank(s: string): boolean {
  for (const c of s) if (!isBlankChar(c)) return false;
  return true;
}
