import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'tldts';
import type { BrandChecker } from '../../src/core/brand/brand-checker.js';
import { SHORT_NAME } from '../../src/core/brand/brand-index.js';
import { judgeHost, stronger } from '../../src/core/brand/lookalike.js';

/**
 * Real registrable domains (bench/real-domains-fetch.mjs: top sites, mail providers,
 * SpamAssassin's and rspamd's lists of well-known senders, the Public Suffix List's private
 * domains) judged against the catalog. Each one judged a lookalike at "likely" or above is a
 * false positive waiting for its first mail; those of the short-name rules are what the
 * catalog's `neighbours:` lists are made from.
 */
export const REAL_DOMAINS = new URL('../../var/domains/real-domains.tsv', import.meta.url);

export interface RealDomainsReport {
  readonly domains: number;
  /** "jtb.co.jp → jcb.co.jp (typo, likely: …)": a short name's rule judged it so. */
  readonly short: readonly string[];
  /** The same for names of five letters or more. */
  readonly long: readonly string[];
}

/** Registrable domains of a list (one per line, a tab and anything after it ignored). */
export function readDomains(file: URL | string): string[] {
  if (!existsSync(file)) return [];
  const out = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const d = parse(line.split('\t')[0] ?? '').domain;
    if (d) out.add(d);
  }
  return [...out].sort();
}

export function measureRealDomains(domains: readonly string[], checker: BrandChecker): RealDomainsReport {
  const short: string[] = [];
  const long: string[] = [];
  for (const d of domains) {
    const j = judgeHost(d, checker.index);
    if (j.kind !== 'lookalike') continue;
    for (const m of j.matches) {
      if (stronger('likely', m.strength)) continue;
      const label = parse(m.official).domainWithoutSuffix ?? m.official;
      const line = `${d} → ${m.official} (${m.how}, ${m.strength}: ${m.detail})`;
      if (label.length <= SHORT_NAME && (m.how === 'typo' || m.how === 'homoglyph')) short.push(line);
      else long.push(line);
    }
  }
  return { domains: domains.length, short, long };
}
