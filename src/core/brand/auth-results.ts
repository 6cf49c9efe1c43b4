import type { Finding } from '../verdict.js';
import { brandFinding } from './brand-evidence.js';
import type { MessageFacts } from './message-facts.js';

/** One DMARC result from an Authentication-Results header (RFC 8601 §2.2). */
export interface DmarcResult {
  readonly authservId: string;
  /** pass, fail, none, … lower case. */
  readonly result: string;
  /** The header.from property: the RFC5322.From domain DMARC evaluated. */
  readonly headerFrom: string;
}

/**
 * DMARC results from Authentication-Results values. Only what this check needs:
 * `authserv-id [version]; … dmarc=fail (p=reject …) header.from=apple.com; …`.
 * Comments in parentheses are dropped first, as RFC 8601 §2.2 allows them anywhere.
 */
export function dmarcResults(values: readonly string[]): DmarcResult[] {
  const out: DmarcResult[] = [];
  for (const raw of values) {
    const value = stripComments(raw.slice(0, 4096));
    const [head, ...methods] = value.split(';');
    const authservId = (head ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    for (const method of methods) {
      const m = /^\s*dmarc\s*=\s*([a-z]+)\b/i.exec(method);
      if (!m) continue;
      const from = /\bheader\.from\s*=\s*"?([^\s";]+)/i.exec(method);
      out.push({ authservId, result: (m[1] ?? '').toLowerCase(), headerFrom: (from?.[1] ?? '').toLowerCase() });
    }
  }
  return out;
}

function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  for (const c of value) {
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += c;
  }
  return out;
}

/**
 * The seam for exact-domain spoofing (From: …@apple.com sent by anyone): the catalog alone
 * cannot tell, SPF/DKIM/DMARC can. sekisho does not evaluate them itself (no DNS in the
 * core); it believes the Authentication-Results of the admin's own MTA (OpenDMARC, rspamd,
 * Postfix with a DMARC milter) when its authserv-id is listed in
 * `brands.trusted_authserv_ids`, and reports a brand's own domain failing DMARC.
 */
export function dmarcFindings(facts: MessageFacts): Finding[] {
  const trusted = facts.catalog.trustedAuthservIds;
  if (trusted.size === 0) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const r of dmarcResults(facts.input.headers.authenticationResults)) {
    if (!trusted.has(r.authservId) || r.result !== 'fail' || r.headerFrom === '' || seen.has(r.headerFrom)) continue;
    const j = facts.judge(r.headerFrom);
    if (j.kind !== 'official') continue;
    seen.add(r.headerFrom);
    out.push(
      brandFinding('dmarc-fail', 'high', `From domain ${r.headerFrom} is ${facts.brandName(j.brand)}'s but failed DMARC at ${r.authservId}`, {
        brand: j.brand,
        domain: r.headerFrom,
        authserv_id: r.authservId,
      }),
    );
  }
  return out;
}
