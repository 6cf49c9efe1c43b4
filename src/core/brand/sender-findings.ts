import type { Finding, Severity } from '../verdict.js';
import { brandFinding, describeLookalike, lookalikeEvidence } from './brand-evidence.js';
import type { Lookalike } from './lookalike.js';
import { addressesInName } from '../../message/mailbox.js';
import type { MessageFacts } from './message-facts.js';

/**
 * "楽天市場店", "Yahoo!店", "Amazon店", "au PAY マーケット店": a shop on the brand's
 * marketplace writing from its own domain. Naming the marketplace is what such shops do.
 */
const MARKETPLACE_SHOP = /(?:市場|ショッピング|マーケット|モール)?\s*(?:店|ストア|ショップ)(?:\s|$|[)）】\]])/u;

/** "Tom Amazon", "Anna Visa": a given name, then the brand as a family name. */
const PERSON = /^[A-Z][a-z]+ [A-Z][a-z]+$/;

/**
 * Display-name spoofing: the name the reader sees says "Apple" or "三井住友カード", the
 * address says otherwise. Most mail clients on phones show only the name.
 */
export function displayNameFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  for (const mailbox of facts.from) {
    if (mailbox.name === '' || mailbox.domain === '') continue;
    const named = facts.catalog.displayNames.find(mailbox.name);
    // A brand's own mail naming a partner brand ("三井住友カード Visa", "セゾン・アメックス")
    // is the issuer speaking: if the domain is any named brand's own, none is spoofed.
    if (named.length === 0 || named.some((n) => facts.isOwn(n.brand, mailbox.domain) && !isMailboxOf(facts, n.brand, mailbox.domain))) continue;
    const judgement = facts.judge(mailbox.domain);
    for (const n of named) {
      const brand = facts.brandName(n.brand);
      const lookalike = judgement.kind === 'lookalike' ? judgement.matches.find((m) => m.brand === n.brand) : undefined;
      const mailboxOfBrand = isMailboxOf(facts, n.brand, mailbox.domain);
      const after = mailbox.name.normalize('NFKC').slice(mailbox.name.normalize('NFKC').indexOf(n.name) + n.name.length);
      let severity: Severity = 'medium';
      let why = `is not ${brand}'s`;
      if (lookalike) {
        severity = 'high';
        why = `(${describeLookalike(lookalike)})`;
      } else if (MARKETPLACE_SHOP.test(after)) {
        severity = 'low';
        why = `is not ${brand}'s (a shop on ${brand}'s marketplace?)`;
      } else if (facts.lures.length === 0 && PERSON.test(mailbox.name.normalize('NFKC')) && !mailbox.name.startsWith(n.name)) {
        // "Tom Amazon": people are called that too. Unless the mail pressures the reader.
        severity = 'low';
        why = `is not ${brand}'s (a person's name?)`;
      } else if (mailboxOfBrand) {
        why = `is a public mailbox service anyone can get an address at`;
      } else if (facts.lures.length > 0) {
        severity = 'high';
      }
      out.push(
        brandFinding('display-name', severity, `From name "${mailbox.name}" but domain ${mailbox.domain} ${why}`, {
          brand: n.brand,
          name: mailbox.name,
          address: mailbox.address,
          domain: mailbox.domain,
          ...(lookalike ? lookalikeEvidence(lookalike) : {}),
          ...(facts.lures.length > 0 ? { lures: facts.lures } : {}),
        }),
      );
    }
  }
  return out;
}

/** A public mailbox of the brand (user@gmail.com), not a mail host of the brand (x@mail.google.com). */
function isMailboxOf(facts: MessageFacts, brand: string, domain: string): boolean {
  return facts.catalog.index.brands.get(brand)?.mailboxes.has(domain) === true;
}

/** `"support@apple.com" <x@evil.example>`: the name shows a brand's address that is not the sender's. */
export function displayNameAddressFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  for (const mailbox of facts.from) {
    for (const shown of addressesInName(mailbox.name)) {
      if (shown === mailbox.domain) continue;
      const j = facts.judge(shown);
      const brands = j.kind === 'official' ? [j.brand] : j.kind === 'partner' ? j.brands : j.kind === 'lookalike' ? j.matches.map((m) => m.brand) : [];
      const brand = brands.find((b) => !facts.isOwn(b, mailbox.domain));
      if (brand === undefined) continue;
      out.push(
        brandFinding('display-name-address', 'high', `From name shows an address at ${shown} (${facts.brandName(brand)}) but the mail is from ${mailbox.domain}`, {
          brand,
          name: mailbox.name,
          shown,
          address: mailbox.address,
          domain: mailbox.domain,
        }),
      );
    }
  }
  return out;
}

/**
 * Senders on lookalike domains. A certain imitation (аpple.com, amazon-co-jp.xyz) is damning
 * on its own; a typo (appie.com) could be a real company, so it is damning only in mail that
 * names the brand; a brand word in a longer name (apple-recipes.com) only when the display
 * name claims the brand.
 */
export function senderLookalikeFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  for (const { field, mailbox } of facts.identities) {
    if (mailbox.domain === '') continue;
    const j = facts.judge(mailbox.domain);
    if (j.kind !== 'lookalike') continue;
    for (const m of j.matches) {
      const severity = senderSeverity(m, facts);
      out.push(
        brandFinding('sender-lookalike', severity, `${field} domain ${mailbox.domain} is a ${describeLookalike(m)}`, {
          field,
          address: mailbox.address,
          domain: mailbox.domain,
          ...lookalikeEvidence(m),
        }),
      );
    }
  }
  return out;
}

function senderSeverity(m: Lookalike, facts: MessageFacts): Severity {
  switch (m.strength) {
    case 'certain':
      return 'high';
    case 'likely':
      return facts.named.has(m.brand) ? 'high' : 'medium';
    case 'possible':
      if (facts.displayNamed.has(m.brand)) return 'high';
      return facts.claimed.has(m.brand) ? 'medium' : 'low';
  }
}
