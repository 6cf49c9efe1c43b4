import type { Finding, Severity } from '../verdict.js';
import type { Lookalike } from './lookalike.js';

export type BrandCode =
  /** The From display name names a brand; the From domain is not the brand's. */
  | 'display-name'
  /** The From display name shows a brand's address; the real address is elsewhere. */
  | 'display-name-address'
  /** From, Reply-To, Sender or MAIL FROM on a domain imitating a brand's. */
  | 'sender-lookalike'
  /** A link to a host imitating a brand's domain. */
  | 'link-lookalike'
  /** A link that shows a brand's domain and goes somewhere else. */
  | 'link-text-mismatch'
  /** The brand named with account/payment pressure and links off the brand's domains. */
  | 'lure'
  /** A shortener or opaque rewriter hides where a link goes, in mail naming a brand. */
  | 'hidden-destination'
  /** A link to a bare IP address in mail naming a brand. */
  | 'ip-link'
  /** A trusted Authentication-Results says the brand's own From domain failed DMARC. */
  | 'dmarc-fail';

export function brandFinding(
  code: BrandCode,
  severity: Severity,
  summary: string,
  evidence: Record<string, string | number | boolean | readonly string[]>,
): Finding {
  return { detector: 'brand', code, severity, summary, evidence };
}

/** "lookalike of apple.com: l→i" — what the admin can check by eye. */
export function describeLookalike(m: Lookalike): string {
  return `lookalike of ${m.official}: ${m.detail}`;
}

/** Evidence fields shared by every lookalike finding. */
export function lookalikeEvidence(m: Lookalike): Record<string, string> {
  return { brand: m.brand, official: m.official, how: m.how, strength: m.strength, detail: m.detail, ...(m.shortEdit ? { edit: m.shortEdit } : {}) };
}
