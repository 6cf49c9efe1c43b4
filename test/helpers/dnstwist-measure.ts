import { readdirSync, readFileSync } from 'node:fs';
import type { BrandChecker } from '../../src/core/brand/brand-checker.js';
import { brandMail, brandOnly, inspectBrand } from './brand-mail.js';

/**
 * dnstwist's lookalikes of three catalog domains (test/fixtures/lookalikes-dnstwist), each
 * as the sender of a mail using the brand's name and as a link in a mail naming the brand.
 * Shared by test/core/brand/dnstwist.test.ts and `npm run measure:brands`.
 */
const DIR = new URL('../fixtures/lookalikes-dnstwist/', import.meta.url);

/** The brand each list imitates, and the name its mails use. */
export const DNSTWIST_BRANDS: Readonly<Record<string, { id: string; displayName: string }>> = {
  'apple.com': { id: 'apple', displayName: 'Apple' },
  'amazon.co.jp': { id: 'amazon', displayName: 'Amazon.co.jp' },
  'chibabank.co.jp': { id: 'chibabank', displayName: '千葉銀行' },
};

export interface FuzzerCount {
  total: number;
  sender: number;
  link: number;
}

export interface DnstwistReport {
  readonly original: string;
  /** Left out: the brand's own domains under other TLDs (amazon.com is Amazon's). */
  readonly official: ReadonlyArray<{ fuzzer: string; domain: string }>;
  readonly byFuzzer: Readonly<Record<string, FuzzerCount>>;
  readonly missed: readonly string[];
}

export function dnstwistFiles(): string[] {
  return readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
}

export async function measureDnstwist(file: string, checker: BrandChecker): Promise<DnstwistReport> {
  const original = file.replace(/\.json$/, '');
  const brand = DNSTWIST_BRANDS[original];
  if (!brand) throw new Error(`no brand for ${file}`);
  const all = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Array<{ fuzzer: string; domain: string }>;
  const official = all.filter((l) => l.fuzzer !== '*original' && checker.index.official.get(l.domain) === brand.id);
  const byFuzzer: Record<string, FuzzerCount> = {};
  const missed: string[] = [];
  for (const { fuzzer, domain } of all) {
    if (fuzzer === '*original' || official.some((o) => o.domain === domain)) continue;
    const count = (byFuzzer[fuzzer] ??= { total: 0, sender: 0, link: 0 });
    count.total++;
    const asSender = brandMail({ from: `"${brand.displayName}" <support@${domain}>`, text: 'お客様各位' });
    if (brandOnly(await inspectBrand(asSender, checker)).length > 0) count.sender++;
    else missed.push(`sender ${fuzzer} ${domain}`);
    const asLink = brandMail({ from: 'info@newsletter.example', subject: `${brand.displayName} からのお知らせ`, text: `詳しくは https://${domain}/ をご覧ください。` });
    const found = brandOnly(await inspectBrand(asLink, checker));
    if (found.some((f) => f.code === 'link-lookalike' && f.evidence.brand === brand.id)) count.link++;
    else missed.push(`link ${fuzzer} ${domain}`);
  }
  return { original, official, byFuzzer, missed };
}
