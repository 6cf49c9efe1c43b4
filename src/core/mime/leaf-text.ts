import { readHtml, type HtmlReading } from './html-reading.js';
import { decodeText, type MimeLeaf } from './mime-walker.js';

/**
 * The decoded text of a text leaf and, for HTML, its reading, made once per leaf for every
 * reader of it. The brand checks and the PPAP password reading both want a leaf's text; the
 * second decoding and HTML tokenizing was a third of the inspection of a large HTML part
 * with an encrypted attachment (bench/adversarial-bench.mjs, html-password-table).
 *
 * Readers ask with their own bounds; a reading made with larger bounds serves a smaller
 * request, which then sees at least the text it asked for (a few characters more at most
 * where the bounds differ: a reader slices what it uses). Kept beside the leaf in a WeakMap,
 * so it lives exactly as long as the MIME tree of the message being inspected.
 */
interface Kept {
  maxBytes: number;
  text: string;
  html?: { maxChars: number; reading: HtmlReading };
}

const kept = new WeakMap<MimeLeaf, Kept>();

/** The leaf's first `maxBytes` decoded in its charset (or more, when already decoded so). */
export function leafText(leaf: MimeLeaf, maxBytes: number): string {
  return keptText(leaf, maxBytes).text;
}

/** The reading of the first `maxChars` of the leaf's text (its first `maxBytes` decoded). */
export function leafHtml(leaf: MimeLeaf, maxBytes: number, maxChars: number): HtmlReading {
  const k = keptText(leaf, maxBytes);
  if (k.html === undefined || k.html.maxChars < maxChars) k.html = { maxChars, reading: readHtml(k.text.slice(0, maxChars)) };
  return k.html.reading;
}

function keptText(leaf: MimeLeaf, maxBytes: number): Kept {
  let k = kept.get(leaf);
  if (k === undefined || k.maxBytes < maxBytes) {
    k = { maxBytes, text: decodeText(leaf.bytes.subarray(0, maxBytes), leaf.charset) };
    kept.set(leaf, k);
  }
  return k;
}
