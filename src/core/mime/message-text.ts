import { passwordCandidates } from '../zip/password-candidates.js';
import { decodeText, type MimeTree } from './mime-walker.js';

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
    const text = decodeText(leaf.bytes.subarray(0, MAX_TEXT_BYTES), leaf.charset);
    texts.push(leaf.contentType === 'text/html' ? htmlToText(text) : text);
  }
  return passwordCandidates(texts, [], max);
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", yen: '¥' };

/** Just enough HTML → text for finding "パスワード：…": tags become breaks, entities are decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(?:p|div|li|tr|h[1-6])\s*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}
