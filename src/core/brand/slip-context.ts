import type { Lookalike } from './lookalike.js';
import type { MessageFacts } from './message-facts.js';

/**
 * A misspelling that is only possible on its own (lookalike.ts: a short name one slip away
 * under an open suffix, dhk.com and bimg.com; a five-letter name missing a letter, aple.com)
 * is the brand imitated in mail that pressures the reader about an account or a payment, or
 * that links to the brand's own domain beside it.
 */
export function slipInContext(m: Lookalike, facts: MessageFacts): boolean {
  return m.how === 'typo' && (facts.lures.length > 0 || facts.linksToOwn(m.brand));
}
