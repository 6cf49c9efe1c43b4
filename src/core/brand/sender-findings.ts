import { SEVERITY_RANK, type Finding, type Severity } from '../verdict.js';
import { brandFinding, describeLookalike, lookalikeEvidence } from './brand-evidence.js';
import type { Lookalike } from './lookalike.js';
import { addressesInName } from '../../message/mailbox.js';
import type { MessageFacts, ShownSender } from './message-facts.js';
import { slipInContext } from './slip-context.js';
import { withoutInvisible } from './shown-name.js';

/**
 * "楽天市場店", "Yahoo!店", "Amazon店", "au PAY マーケット店": a shop on the brand's
 * marketplace writing from its own domain. Naming the marketplace is what such shops do.
 */
const MARKETPLACE_SHOP = /(?:市場|ショッピング|マーケット|モール)?\s*(?:店|ストア|ショップ)(?:\s|$|[)）】\]])/u;

/** "Tom Amazon", "Anna Visa": a given name, then the brand as a family name. */
const PERSON = /^[A-Z][a-z]+ [A-Z][a-z]+$/;

/**
 * Display-name spoofing: a name the reader sees says "Apple" or "三井住友カード", the
 * addresses say otherwise. Most mail clients on phones show only the name, and clients
 * disagree on which piece of a malformed field is the name, so every display text of From
 * and of Sender (MessageFacts.shown) is judged against every sender domain of that field:
 * one domain that is not the brand's is enough. A brand's own mail naming a partner brand
 * ("三井住友カード Visa", "セゾン・アメックス") is the issuer speaking: a domain that is any
 * named brand's own spoofs none of them. A Sender naming the brand when the From is the
 * brand's own is its mailing service (Outlook: "Apple <x@esp.example> on behalf of Apple").
 */
export function displayNameFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  for (const shown of facts.shown) {
    if (shown.named.length === 0) continue;
    const spoofing = shown.domains.filter((d) => !shown.named.some((n) => facts.isOwn(n.brand, d) && !isMailboxOf(facts, n.brand, d)));
    if (shown.domains.length > 0 && spoofing.length === 0) continue;
    for (const brandId of new Set(shown.named.map((n) => n.brand))) {
      if (shown.field === 'Sender' && facts.fromOwnerOf([brandId])) continue;
      out.push(displayNameFinding(facts, shown, brandId, spoofing));
    }
  }
  return out;
}

interface Judged {
  readonly severity: Severity;
  readonly why: string;
  readonly naming: ShownSender['named'][number];
}

function displayNameFinding(facts: MessageFacts, shown: ShownSender, brandId: string, spoofing: readonly string[]): Finding {
  const brand = facts.brandName(brandId);
  const lookalikeOf = (d: string) => {
    const j = facts.judge(d);
    return j.kind === 'lookalike' ? j.matches.find((m) => m.brand === brandId) : undefined;
  };
  // The domain that tells most: a lookalike of the brand, else one that is not its free mailbox service.
  const domain = spoofing.find((d) => lookalikeOf(d)) ?? spoofing.find((d) => !isMailboxOf(facts, brandId, d)) ?? spoofing[0];
  const lookalike = domain === undefined ? undefined : lookalikeOf(domain);
  let worst: Judged | undefined;
  for (const naming of shown.named) {
    if (naming.brand !== brandId) continue;
    const judged = judgeNaming(facts, naming, brand, domain, lookalike !== undefined);
    if (!worst || SEVERITY_RANK[judged.severity] > SEVERITY_RANK[worst.severity]) worst = judged;
  }
  const { severity, why, naming } = worst as Judged;
  const name = withoutInvisible(naming.text);
  // "elppA" under a right-to-left override, "Pay💳Pal": say what the reader sees.
  const shownAs = name.normalize('NFKC') === naming.reading ? `"${name}"` : `"${name}" (read as "${naming.reading}")`;
  const mailbox = shown.mailboxes.find((m) => m.domain === domain);
  const summary = domain === undefined ? `${shown.field} name ${shownAs} but the mail gives no sender address` : `${shown.field} name ${shownAs} but domain ${domain} ${lookalike ? `(${describeLookalike(lookalike)})` : why}`;
  return brandFinding('display-name', severity, summary, {
    brand: brandId,
    field: shown.field,
    name,
    ...(name.normalize('NFKC') === naming.reading ? {} : { read: naming.reading }),
    address: mailbox?.address ?? '',
    domain: domain ?? '',
    ...(spoofing.length > 1 ? { domains: spoofing } : {}),
    ...(lookalike ? lookalikeEvidence(lookalike) : {}),
    ...(facts.lures.length > 0 ? { lures: facts.lures } : {}),
  });
}

/** How much one display text naming the brand says, given the domain it comes from. */
function judgeNaming(facts: MessageFacts, naming: Judged['naming'], brand: string, domain: string | undefined, lookalike: boolean): Judged {
  const reading = naming.reading;
  const after = reading.slice(reading.indexOf(naming.name) + naming.name.length);
  if (lookalike) return { severity: 'high', why: '', naming };
  if (MARKETPLACE_SHOP.test(after)) return { severity: 'low', why: `is not ${brand}'s (a shop on ${brand}'s marketplace?)`, naming };
  // "Tom Amazon": people are called that too. Unless the mail pressures the reader.
  if (facts.lures.length === 0 && PERSON.test(reading) && !reading.startsWith(naming.name)) return { severity: 'low', why: `is not ${brand}'s (a person's name?)`, naming };
  if (domain !== undefined && isMailboxOf(facts, naming.brand, domain)) return { severity: 'medium', why: 'is a public mailbox service anyone can get an address at', naming };
  return { severity: facts.lures.length > 0 ? 'high' : 'medium', why: `is not ${brand}'s`, naming };
}

/** A public mailbox of the brand (user@gmail.com), not a mail host of the brand (x@mail.google.com). */
function isMailboxOf(facts: MessageFacts, brand: string, domain: string): boolean {
  return facts.catalog.index.brands.get(brand)?.mailboxes.has(domain) === true;
}

/**
 * `"support@apple.com" <x@evil.example>`: a display text shows a brand's address and the
 * field has an address elsewhere, neither that one nor the brand's. A name-less mailbox shows its address, so
 * `<first@evil.example>, <admin@apple.com>` (espoofer A14) shows Apple's too.
 */
export function displayNameAddressFindings(facts: MessageFacts): Finding[] {
  const out: Finding[] = [];
  for (const shown of facts.shown) {
    const seen = new Set<string>();
    for (const text of [...shown.texts, ...shown.shownAddresses]) {
      // "support@ap\u200bple.com" shows apple.com: the address as the reader sees it.
      for (const address of addressesInName(withoutInvisible(text))) {
        if (seen.has(address)) continue;
        seen.add(address);
        const j = facts.judge(address);
        const brands = j.kind === 'official' ? [j.brand] : j.kind === 'partner' ? j.brands : j.kind === 'lookalike' ? j.matches.map((m) => m.brand) : [];
        // The domains the mail comes from besides the one shown: a lookalike shown as the
        // mailbox's own address is a sender lookalike, not a name showing someone else's.
        const elsewhere = (b: string) => shown.domains.filter((d) => d !== address && !facts.isOwn(b, d));
        const brand = brands.find((b) => (shown.domains.length === 0 || elsewhere(b).length > 0) && !(shown.field === 'Sender' && facts.fromOwnerOf([b])));
        if (brand === undefined) continue;
        const domain = elsewhere(brand)[0] ?? '';
        const mailbox = shown.mailboxes.find((m) => m.domain === domain);
        const from = domain === '' ? 'the mail gives no sender address' : `the mail is from ${domain}`;
        out.push(
          brandFinding('display-name-address', 'high', `${shown.field} name shows an address at ${address} (${facts.brandName(brand)}) but ${from}`, {
            brand,
            field: shown.field,
            name: withoutInvisible(text),
            shown: address,
            address: mailbox?.address ?? '',
            domain,
          }),
        );
      }
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
      return facts.claimed.has(m.brand) || slipInContext(m, facts) ? 'medium' : 'low';
  }
}
