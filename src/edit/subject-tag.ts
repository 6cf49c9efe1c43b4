/**
 * Tagging the Subject: decode whatever the sender wrote, take off any tag already there,
 * put ours in front and write the result back so that every mail client shows exactly
 * tag + the subject the sender meant.
 */
import { foldLines, MAX_LINE, type LineEnding } from '../message/header-block.js';
import { decodeSubject, trimWsp } from '../message/header-text.js';

export { decodeSubject };

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
  return tagDecodedSubject(rawSubjectValue === undefined ? '' : decodeSubject(rawSubjectValue), prefix, knownPrefixes, lineEnding);
}

/** tagSubject for a Subject already decoded (the header facts carry it): no second decode. */
export function tagDecodedSubject(original: string, prefix: string, knownPrefixes: readonly string[], lineEnding: LineEnding = '\r\n'): string {
  const rest = stripTags(original, [prefix, ...knownPrefixes]);
  const text = rest === '' ? prefix.replace(/[ \t]+$/, '') : prefix + rest;
  return encodeSubject(text, lineEnding);
}
