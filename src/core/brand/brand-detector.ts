import { SEVERITY_RANK, type Finding } from '../verdict.js';
import { dmarcFindings } from './auth-results.js';
import { linkLookalikeFindings, linkTextFindings, lureFindings, opaqueLinkFindings } from './link-findings.js';
import { MessageFacts, type BrandInput } from './message-facts.js';
import type { PreparedCatalog } from './prepared-catalog.js';
import { displayNameAddressFindings, displayNameFindings, senderLookalikeFindings } from './sender-findings.js';

export type { BrandInput } from './message-facts.js';

/** A newsletter with 200 lookalike links needs no 200 findings: the worst ones say it all. */
const MAX_FINDINGS = 20;

/**
 * The `brand` detector: findings for mail that impersonates a catalog brand, judged by
 * the one signal an attacker cannot fake without owning the brand's domain — the domains
 * of the sender, the reply address, the envelope and the links.
 */
export function brandFindings(input: BrandInput, catalog: PreparedCatalog): Finding[] {
  const facts = new MessageFacts(input, catalog);
  const findings = [
    ...displayNameFindings(facts),
    ...displayNameAddressFindings(facts),
    ...senderLookalikeFindings(facts),
    ...dmarcFindings(facts),
    ...linkTextFindings(facts),
    ...linkLookalikeFindings(facts),
    ...lureFindings(facts),
    ...opaqueLinkFindings(facts),
  ];
  if (findings.length <= MAX_FINDINGS) return findings;
  // Stable: among equals, the order above (sender before links) is kept.
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity] || a.i - b.i)
    .slice(0, MAX_FINDINGS)
    .map(({ f }) => f);
}
