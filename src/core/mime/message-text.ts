import { passwordCandidates } from '../zip/password-candidates.js';
import { readHtml } from './html-reading.js';
import { leafHtml, leafText } from './leaf-text.js';
import type { MimeTree } from './mime-walker.js';

/** How much of one text part is read for passwords: a PPAP notice is short. */
const MAX_TEXT_BYTES = 256 * 1024;

/**
 * The passwords a message states for its own attachments (the PPAP pattern), from its
 * subject and every text part, HTML ones as plain text.
 */
export function messagePasswords(tree: MimeTree, max: number): string[] {
  const texts = [tree.subject];
  for (const leaf of tree.leaves) {
    if (!leaf.contentType.startsWith('text/')) continue;
    // Through leaf-text.ts: the brand checks have usually decoded and read this leaf already.
    texts.push(leaf.contentType === 'text/html' ? leafHtml(leaf, MAX_TEXT_BYTES, MAX_TEXT_BYTES).visibleText : leafText(leaf, MAX_TEXT_BYTES));
  }
  return passwordCandidates(texts, [], max);
}

/**
 * The text a reader sees in an HTML part, for finding "パスワード：…": the same tokenizer
 * reading the brand checks use (html-reading.ts), so entities are decoded, block ends are
 * newlines and script/style text is hidden, in one linear pass over any input.
 */
export function htmlToText(html: string): string {
  return readHtml(html).visibleText;
}
