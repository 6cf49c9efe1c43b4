import type { BrandChecker } from '../../src/core/brand/brand-checker.js';
import { SHORT_NAME } from '../../src/core/brand/brand-index.js';
import { judgeHost } from '../../src/core/brand/lookalike.js';
import { brandMail, brandOnly, inspectBrand, suspiciousBrand } from './brand-mail.js';
import { oneEditLookalikes } from './short-lookalikes.js';

/**
 * One-edit lookalikes (short-lookalikes.ts, dnstwist's fuzzers) of every catalog domain whose
 * name has four letters or fewer (aeon.co.jp, jcb.co.jp, au.com, dhl.com, line.me), each put
 * into four mails: from the lookalike with the brand's name as display name, a link to it in
 * a mail naming the brand, and the same two without the brand named anywhere. Shared by
 * test/core/brand/short-lookalikes.test.ts and `npm run measure:brands`.
 */
export interface ShortCount {
  total: number;
  /** With the brand named: any brand finding (as the dnstwist measure counts). */
  namedSender: number;
  namedLink: number;
  /** Without the brand named: a finding at medium or above, which tags or quarantines the mail. */
  unnamedSender: number;
  unnamedLink: number;
  /** Without the brand named, from the lookalike in a mail pressing for payment details. */
  unnamedLure: number;
  /** Without the brand named, a link to the lookalike beside the brand's own domain (a copied template). */
  unnamedBesideOwn: number;
}

export interface ShortReport {
  /** Per catalog domain. */
  readonly byDomain: ReadonlyMap<string, ShortCount>;
  readonly byFuzzer: ReadonlyMap<string, ShortCount>;
  /** Variants left out: official for a brand, or a listed real neighbour. */
  readonly leftOut: readonly string[];
  /** "unnamed-link aeom.co.jp": the cases not caught. */
  readonly missed: readonly string[];
}

/** The catalog's short domains: registrable names of SHORT_NAME letters or fewer under a public suffix. */
export function shortDomains(checker: BrandChecker): Array<{ brand: string; domain: string }> {
  return checker.index.labels.filter((l) => l.suffix !== '' && l.label.length <= SHORT_NAME).map((l) => ({ brand: l.brand, domain: l.domain }));
}

/** Every registrable catalog domain (official domains, mailboxes, shorteners), short or not. */
export function catalogDomains(checker: BrandChecker): Array<{ brand: string; domain: string }> {
  return checker.index.labels.filter((l) => l.suffix !== '').map((l) => ({ brand: l.brand, domain: l.domain }));
}

export const zero = (): ShortCount => ({ total: 0, namedSender: 0, namedLink: 0, unnamedSender: 0, unnamedLink: 0, unnamedLure: 0, unnamedBesideOwn: 0 });

/** `every`: measure each n-th lookalike of a domain only (a deterministic sample, for tests). */
export async function measureShort(checker: BrandChecker, only?: (domain: string) => boolean, domains = shortDomains(checker), every = 1): Promise<ShortReport> {
  const byDomain = new Map<string, ShortCount>();
  const byFuzzer = new Map<string, ShortCount>();
  const leftOut: string[] = [];
  const missed: string[] = [];
  for (const { brand, domain } of domains) {
    if (only && !only(domain)) continue;
    const name = checker.index.brands.get(brand)?.name ?? brand;
    for (const [n, { fuzzer, domain: fake }] of oneEditLookalikes(domain).entries()) {
      if (n % every !== 0) continue;
      const j = judgeHost(fake, checker.index);
      if (j.kind === 'official' || j.kind === 'partner' || checker.index.neighbours.get(j.domain)?.includes(brand)) {
        leftOut.push(`${fake} (${j.kind === 'official' ? `${j.brand}'s` : 'a listed neighbour'})`);
        continue;
      }
      const d = byDomain.get(domain) ?? zero();
      const f = byFuzzer.get(fuzzer) ?? zero();
      byDomain.set(domain, d);
      byFuzzer.set(fuzzer, f);
      const hit = (key: keyof ShortCount, ok: boolean, what: string) => {
        if (ok) {
          d[key]++;
          f[key]++;
        } else missed.push(`${what} ${fuzzer} ${fake}`);
      };
      d.total++;
      f.total++;
      const forBrand = (found: ReturnType<typeof brandOnly>, code?: string) => found.some((x) => x.evidence.brand === brand && (code === undefined || x.code === code));
      const namedSender = brandMail({ from: `"${name}" <support@${fake}>`, text: 'お客様各位' });
      hit('namedSender', brandOnly(await inspectBrand(namedSender, checker)).length > 0, 'named-sender');
      const namedLink = brandMail({ from: 'info@newsletter.example', subject: `${name} からのお知らせ`, text: `詳しくは https://${fake}/ をご覧ください。` });
      hit('namedLink', forBrand(brandOnly(await inspectBrand(namedLink, checker)), 'link-lookalike'), 'named-link');
      const unnamedSender = brandMail({ from: `support@${fake}`, subject: 'ご請求書の送付', text: '請求書を送付いたします。ご確認ください。' });
      hit('unnamedSender', forBrand(suspiciousBrand(await inspectBrand(unnamedSender, checker))), 'unnamed-sender');
      const unnamedLink = brandMail({ from: 'info@newsletter.example', subject: 'ご請求書の送付', text: `請求書は https://${fake}/ からご確認ください。` });
      hit('unnamedLink', forBrand(suspiciousBrand(await inspectBrand(unnamedLink, checker)), 'link-lookalike'), 'unnamed-link');
      const unnamedLure = brandMail({ from: `support@${fake}`, subject: 'ご請求書の送付', text: 'お支払い情報の更新をお願いいたします。' });
      hit('unnamedLure', forBrand(suspiciousBrand(await inspectBrand(unnamedLure, checker))), 'unnamed-lure');
      const besideOwn = brandMail({ from: 'info@newsletter.example', subject: 'ご請求書の送付', html: `<p><a href="https://${fake}/invoice">請求書</a></p><p><a href="https://www.${domain}/privacy">プライバシー</a></p>` });
      hit('unnamedBesideOwn', forBrand(suspiciousBrand(await inspectBrand(besideOwn, checker)), 'link-lookalike'), 'unnamed-beside-own');
    }
  }
  return { byDomain, byFuzzer, leftOut, missed };
}

/** Adds up counts. */
export function sum(counts: Iterable<ShortCount>): ShortCount {
  const t = zero();
  for (const c of counts) for (const k of Object.keys(t) as Array<keyof ShortCount>) t[k] += c[k];
  return t;
}
