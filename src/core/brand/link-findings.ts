import type { Finding, Severity } from '../verdict.js';
import { brandFinding, describeLookalike, lookalikeEvidence } from './brand-evidence.js';
import { visibleHosts } from './links.js';
import type { Lookalike } from './lookalike.js';
import { registrable, type MessageFacts } from './message-facts.js';
import { slipInContext } from './slip-context.js';

/** How many hosts a summary lists before "…". */
const LIST = 3;

/** Links whose host imitates a brand's domain. */
export function linkLookalikeFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const link of facts.links) {
    const j = facts.judge(link.host);
    if (j.kind !== 'lookalike') continue;
    for (const m of j.matches) {
      const key = `${link.host} ${m.brand}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const severity = linkSeverity(m, facts);
      if (!severity) continue;
      out.push(
        brandFinding('link-lookalike', severity, `Link to ${link.host} (${describeLookalike(m)})`, {
          host: link.host,
          url: clip(link.url),
          ...lookalikeEvidence(m),
          ...(facts.named.has(m.brand) ? { named: facts.named.get(m.brand) ?? '' } : {}),
        }),
      );
    }
  }
  return out;
}

/**
 * A link's host is not the reader's business until the mail says which brand it speaks
 * for: a typo domain is worth a tag on its own, a brand word inside a longer name
 * (apple-recipes.com) only when the mail names the brand and pressures the reader.
 */
function linkSeverity(m: Lookalike, facts: MessageFacts): Severity | undefined {
  const named = facts.named.has(m.brand);
  if (m.strength !== 'possible') return named ? 'high' : 'medium';
  if (!named) return slipInContext(m, facts) ? 'medium' : undefined;
  return facts.lures.length > 0 ? 'medium' : 'low';
}

/**
 * `<a href="https://amazon-co-jp.xyz/">https://www.amazon.co.jp/</a>`: the text shows a
 * brand's domain, the click goes elsewhere (Rspamd's phishing module, ClamAV's
 * SpoofedDomain). Brands' own newsletters route clicks through their mail vendor's
 * tracker, so mail from the brand's own domain only gets a low note.
 */
export function linkTextFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const link of facts.links) {
    if (link.source === 'text' || !link.text) continue;
    for (const shown of visibleHosts(link.text)) {
      if (registrable(shown) === registrable(link.host)) continue;
      const j = facts.judge(shown);
      const brands = j.kind === 'official' ? [j.brand] : j.kind === 'partner' ? j.brands : [];
      const brand = brands.find((b) => !facts.isOwn(b, link.host));
      if (brand === undefined) continue;
      const key = `${shown} ${link.host}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const severity: Severity = facts.fromOwnerOf([brand]) ? 'low' : 'high';
      const through = link.shortener ? ` through the shortener ${link.host}` : ` to ${link.host}`;
      out.push(
        brandFinding('link-text-mismatch', severity, `Link shows ${shown} (${facts.brandName(brand)}) but goes${through}`, {
          brand,
          shown,
          host: link.host,
          url: clip(link.url),
          text: clip(link.text),
        }),
      );
    }
  }
  return out;
}

/**
 * The phish's pitch: the brand claimed in the From name or subject, account or payment
 * pressure (本人確認, アカウント停止, verify your account), and somewhere to click that is
 * not the brand's. Mail from the brand's own domain is the brand talking to its customers.
 */
export function lureFindings(facts: MessageFacts): Finding[] {
  const claimed = facts.claimed;
  if (claimed.size === 0 || facts.lures.length === 0 || facts.fromOwnerOf(claimed.keys())) return [];
  const foreign = new Set<string>();
  for (const link of facts.links) {
    if ([...claimed.keys()].some((b) => facts.isOwn(b, link.host))) continue;
    foreign.add(link.host);
  }
  if (foreign.size === 0) return [];
  const brands = [...claimed.keys()];
  const names = brands.map((b) => facts.brandName(b));
  const hosts = [...foreign];
  return [
    brandFinding('lure', 'medium', `Claims to be ${names.join(', ')}, asks about ${facts.lures.slice(0, LIST).join(', ')} and links to ${list(hosts)}`, {
      brands,
      lures: facts.lures,
      ...(facts.signIn.length > 0 ? { sign_in: facts.signIn } : {}),
      hosts: hosts.slice(0, 20),
    }),
  ];
}

/**
 * Shorteners and IP-address links in mail claiming a brand (its From name or subject): the
 * reader cannot see where they go. A brand only mentioned in the text is no claim: a mailing
 * list discussing Microsoft links to bare addresses of its own servers.
 */
export function opaqueLinkFindings(facts: MessageFacts): Finding[] {
  const named = [...facts.claimed.keys()];
  if (named.length === 0) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  const names = named.map((b) => facts.brandName(b)).join(', ');
  for (const link of facts.links) {
    if (seen.has(link.host) || named.some((b) => facts.isOwn(b, link.host))) continue;
    if (link.isIp) {
      seen.add(link.host);
      out.push(
        brandFinding('ip-link', facts.lures.length > 0 ? 'high' : 'medium', `Link to the bare IP address ${link.host} in mail claiming ${names}`, {
          host: link.host,
          url: clip(link.url),
          brands: named,
        }),
      );
    } else if (link.shortener) {
      seen.add(link.host);
      out.push(
        brandFinding('hidden-destination', facts.lures.length > 0 ? 'medium' : 'low', `Link through ${link.host} hides its destination, in mail claiming ${names}`, {
          host: link.host,
          url: clip(link.url),
          brands: named,
        }),
      );
    }
  }
  return out;
}

function list(items: readonly string[]): string {
  return items.length <= LIST ? items.join(', ') : `${items.slice(0, LIST).join(', ')} and ${items.length - LIST} more`;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
