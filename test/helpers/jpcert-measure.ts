import { readFileSync } from 'node:fs';
import { domainToUnicode } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'tldts';
import type { BrandChecker } from '../../src/core/brand/brand-checker.js';
import { extractLinks } from '../../src/core/brand/links.js';
import { normaliseHost } from '../../src/core/brand/lookalike.js';
import type { BrandInput } from '../../src/core/brand/message-facts.js';
import { RANK } from './brand-mail.js';

/**
 * Measures the brand detector on the JPCERT/CC phishing URL list (test/fixtures/jpcert-phishurl):
 * each URL put into a mail that names its brand, with a lure and without. Shared by the test
 * (which asserts the targets) and `npm run measure:brands` (which prints the report).
 */

const DIR = new URL('../fixtures/jpcert-phishurl/', import.meta.url);

export interface PhishUrl {
  readonly url: string;
  readonly brand: string;
}

/** Rows whose description names a catalog brand, one per (host, brand): the detector judges hosts. */
export function jpcertUrls(): { rows: number; mapped: number; unique: PhishUrl[] } {
  const map = new Map(
    readFileSync(new URL('brand-map.tsv', DIR), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t') as [string, string]),
  );
  const csv = gunzipSync(readFileSync(new URL('phishurl-2019-2021.csv.gz', DIR))).toString('utf8');
  const records = parseCsv(csv).slice(1);
  const seen = new Set<string>();
  const unique: PhishUrl[] = [];
  let mapped = 0;
  for (const [, url, description] of records) {
    const brand = map.get(description ?? '');
    if (!brand || !url) continue;
    mapped++;
    const host = hostOf(url);
    const key = `${host} ${brand}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push({ url, brand });
  }
  return { rows: records.length, mapped, unique };
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

function hostOf(url: string): string {
  const link = extractLinks([{ kind: 'text', content: url }])[0];
  if (link) return link.host;
  return normaliseHost(url.replace(/^[a-z]+:\/\//i, '').split(/[/?#]/)[0] ?? url);
}

/** Why a phishing host could not be judged by its name. */
export type Unjudgeable = 'ip-address' | 'shortener' | 'shared-hosting' | 'official-service' | 'brand-only-in-path' | 'no-brand-in-url';

export interface JpcertReport {
  readonly rows: number;
  readonly mapped: number;
  readonly unique: number;
  /** Mails naming the brand with a lure: any brand finding / one at medium or above. */
  readonly lureAny: number;
  readonly lureSuspicious: number;
  /** Hosts a reader can see the brand in (see brandReadable). */
  readonly readable: number;
  /** …of which the host alone was judged a lookalike, in a mail naming the brand without a lure. */
  readonly readableCaught: number;
  /** Hosts caught by name although the brand cannot be read in them. */
  readonly otherCaught: number;
  readonly unjudgeable: Record<Unjudgeable, number>;
  readonly missedReadable: readonly string[];
  readonly missedLure: readonly string[];
}

/**
 * A mail as the brand detector receives it from the MIME walk (decoded headers and text).
 * Forty thousand URLs twice over would spend most of their time encoding and parsing MIME,
 * which test/core/brand/brand-detector.test.ts already covers through inspect().
 */
function decodedMail(m: { from: string; subject: string; text: string }): BrandInput {
  return { mailFrom: 'bounce@notice-mail.example', headers: { from: [m.from], replyTo: [], sender: [], authenticationResults: [] }, subject: m.subject, bodies: [{ kind: 'text', content: m.text }] };
}

export function measureJpcert(checker: BrandChecker): JpcertReport {
  const { rows, mapped, unique } = jpcertUrls();
  let lureAny = 0;
  let lureSuspicious = 0;
  let readable = 0;
  let readableCaught = 0;
  let otherCaught = 0;
  const unjudgeable: Record<Unjudgeable, number> = { 'ip-address': 0, shortener: 0, 'shared-hosting': 0, 'official-service': 0, 'brand-only-in-path': 0, 'no-brand-in-url': 0 };
  const missedReadable: string[] = [];
  const missedLure: string[] = [];
  for (const { url, brand } of unique) {
    // The brand as customers see it named (a catalog name, not its description).
    const name = checker.index.brands.get(brand)?.names[0] ?? brand;
    const lureFound = checker.check(
      decodedMail({
        from: 'カスタマーセンター <info@notice-mail.example>',
        subject: `【${name}】アカウント情報の確認のお願い`,
        text: `${name}をご利用いただきありがとうございます。\nお客様のアカウントが一時停止されました。以下のURLより本人確認をお願いいたします。\n${url}\n`,
      }),
    );
    if (lureFound.length > 0) lureAny++;
    else missedLure.push(`${brand} ${url}`);
    if (lureFound.some((f) => RANK[f.severity] >= RANK.medium)) lureSuspicious++;

    const plain = decodedMail({ from: 'info@notice-mail.example', subject: `${name}からのお知らせ`, text: `詳しくは以下をご覧ください。\n${url}\n` });
    const caught = checker.check(plain).some((f) => f.code === 'link-lookalike');
    const link = extractLinks([{ kind: 'text', content: url }])[0];
    const host = link?.host ?? hostOf(url);
    const site = parse(host, { allowPrivateDomains: true }).domain ?? host;
    if (!caught && (checker.index.official.has(site) || checker.index.partners.has(site))) {
      unjudgeable['official-service']++;
      continue;
    }
    if (brandReadable(host, brand, checker)) {
      readable++;
      if (caught) readableCaught++;
      else missedReadable.push(`${brand} ${host}`);
      continue;
    }
    if (caught) {
      otherCaught++;
      continue;
    }
    unjudgeable[whyUnjudgeable(url, host, brand, link?.shortener === true, link?.isIp === true, checker)]++;
  }
  return { rows, mapped, unique: unique.length, lureAny, lureSuspicious, readable, readableCaught, otherCaught, unjudgeable, missedReadable, missedLure };
}

/**
 * Whether a reader can see the brand in a host: one of the brand's domain labels or Latin
 * names (four letters or more) appears inside one word of it (words split at dots and
 * hyphens), after confusable folding (аmazon, amaz0n), allowing one wrong letter in names
 * of seven to nine letters and two in longer ones. Independent of how the detector
 * decides, so that its recall on these hosts means something.
 */
export function brandReadable(host: string, brand: string, checker: BrandChecker): boolean {
  const entry = checker.index.brands.get(brand);
  if (!entry) return false;
  const words = (checker.index.fold(domainToUnicode(host) || host)).split(/[.\-_]+/).filter((w) => w.length > 0);
  const names = new Set<string>();
  for (const d of entry.domains) names.add((parse(d).domainWithoutSuffix ?? d).replace(/-/g, ''));
  for (const n of entry.names) if (/^[\x20-\x7e]+$/.test(n)) names.add(n.toLowerCase().replace(/[^a-z0-9]/g, ''));
  for (const name of names) {
    if (name.length < 4) continue;
    const k = name.length <= 6 ? 0 : name.length <= 9 ? 1 : 2;
    const folded = checker.index.fold(name);
    if (words.some((w) => approximateSubstring(folded, w) <= k)) return true;
  }
  return false;
}

/** Sellers' algorithm: the fewest edits that make `pattern` a substring of `text`. */
function approximateSubstring(pattern: string, text: string): number {
  let prev = new Array<number>(pattern.length + 1);
  for (let i = 0; i <= pattern.length; i++) prev[i] = i;
  let best = prev[pattern.length] ?? pattern.length;
  for (const c of text) {
    const cur = [0];
    for (let i = 1; i <= pattern.length; i++) {
      const cost = pattern[i - 1] === c ? 0 : 1;
      cur[i] = Math.min((prev[i - 1] ?? 0) + cost, (prev[i] ?? 0) + 1, (cur[i - 1] ?? 0) + 1);
    }
    prev = cur;
    best = Math.min(best, cur[pattern.length] ?? best);
  }
  return best;
}

function whyUnjudgeable(url: string, host: string, brand: string, shortener: boolean, ip: boolean, checker: BrandChecker): Exclude<Unjudgeable, 'official-service'> {
  if (ip) return 'ip-address';
  if (shortener) return 'shortener';
  if (parse(host, { allowPrivateDomains: true }).isPrivate) return 'shared-hosting';
  const path = url.slice(url.indexOf(host) + host.length).toLowerCase();
  return brandReadable(path.replace(/[^a-z0-9]+/g, '.'), brand, checker) ? 'brand-only-in-path' : 'no-brand-in-url';
}
