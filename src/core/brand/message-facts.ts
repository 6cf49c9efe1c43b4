import { getDomain } from 'tldts';
import { firstAndLast, MAX_IDENTITY_FIELDS, type RootHeaders } from '../mime/mime-walker.js';
import { readHtml, type HtmlReading } from '../mime/html-reading.js';
import { linksOf, type Link, type ReadPart } from './links.js';
import { normaliseHost, type HostJudgement } from './lookalike.js';
import { lureWords } from './lure.js';
import { fieldTexts } from '../../message/header-text.js';
import { parseAddressField, parseMailboxes, type Mailbox } from '../../message/mailbox.js';
import type { ShownBrand } from './brand-names.js';
import type { PreparedCatalog } from './prepared-catalog.js';

/** What the brand detector reads of one message (the top-level one, not attachments). */
export interface BrandInput {
  /** Envelope MAIL FROM; "" for the null sender. */
  readonly mailFrom: string;
  readonly headers: RootHeaders;
  /** Decoded Subject. */
  readonly subject: string;
  /** Decoded text/plain and text/html parts, in message order. */
  readonly bodies: ReadonlyArray<{
    readonly kind: 'text' | 'html';
    readonly content: string;
    /** The reading of the first `maxChars` of an HTML body, when someone already has it (leaf-text.ts). */
    readonly read?: (maxChars: number) => HtmlReading;
  }>;
}

/** Bounds on what is read: a phish says its piece in the first few hundred kilobytes. */
const MAX_TEXT_CHARS = 512 * 1024;
/** HTML is mostly markup: twice the text bound is read of it, for its text and its links alike. */
const MAX_HTML_CHARS = 2 * MAX_TEXT_CHARS;
const MAX_LINKS = 500;

/** A sender identity of the message: From, Reply-To, Sender or the envelope MAIL FROM. */
export interface Identity {
  readonly field: 'From' | 'Reply-To' | 'Sender' | 'MAIL FROM';
  readonly mailbox: Mailbox;
}

/**
 * What the reader is shown as the sender by one kind of field, all its fields together
 * (RFC 5322 allows one From; a client shows the first or the last of several, and sees each
 * mailbox of a list): every display text and every address.
 */
export interface ShownSender {
  readonly field: 'From' | 'Sender';
  /** Each piece of display text (mailbox.ts: phrases, comments, group names, the field as a whole). */
  readonly texts: readonly string[];
  /** Addresses shown as text (mailbox.ts): judged for the address they show, not for names. */
  readonly shownAddresses: readonly string[];
  readonly mailboxes: readonly Mailbox[];
  /**
   * The sender domains its texts are judged against: the field's own; for a field without any
   * address (`From: Apple <>`), the other field's, else MAIL FROM's; none when all are empty.
   */
  readonly domains: readonly string[];
  /** Brands the texts name as a person reads them, each with the text that named it. */
  readonly named: ReadonlyArray<ShownBrand & { readonly text: string }>;
}

/**
 * Everything about one message that the brand signals share, computed once: who sent it,
 * which brands it names and where, which lure phrases it uses, its links, and a cache of
 * host judgements (a newsletter repeats the same host dozens of times).
 */
export class MessageFacts {
  readonly identities: Identity[] = [];
  readonly from: readonly Mailbox[];
  /** From and Sender as the reader sees them, for the display-name checks. */
  readonly shown: readonly ShownSender[];
  /** Brands named in a From or Sender display text → the name used. */
  readonly displayNamed = new Map<string, string>();
  /** Brands named in the subject. */
  readonly subjectNamed = new Map<string, string>();
  /** Brands named anywhere: display names, subject, body (with keywords). */
  readonly named = new Map<string, string>();
  /** Lure phrases of the subject and body: account or payment pressure. */
  readonly lures: readonly string[];
  /** Sign-in words of the subject and body: evidence only, no lure on their own. */
  readonly signIn: readonly string[];
  readonly links: readonly Link[];
  private readonly judged = new Map<string, HostJudgement>();

  constructor(
    readonly input: BrandInput,
    readonly catalog: PreparedCatalog,
  ) {
    const h = input.headers;
    // A field may list hundreds of mailboxes: as many are read as of fields (mime-walker.ts).
    const limit = <T>(list: readonly T[]) => firstAndLast(list, MAX_IDENTITY_FIELDS);
    // Raw 8-bit fields are read both as a Japanese and as a Western client shows them (header-text.fieldTexts).
    const readings = (v: string) => fieldTexts(Buffer.from(v, 'latin1'));
    const fields = (values: readonly string[]) => values.flatMap((v) => readings(v).map(parseAddressField));
    const from = fields(h.from);
    const sender = fields(h.sender);
    // Both readings of an 8-bit field nearly always give the same (ASCII) address: it is one
    // sender, judged once, or its findings would repeat and its score double.
    this.from = limit(distinct(from.flatMap((f) => f.mailboxes)));
    const senderMailboxes = limit(distinct(sender.flatMap((f) => f.mailboxes)));
    for (const mailbox of this.from) this.identities.push({ field: 'From', mailbox });
    for (const mailbox of limit(distinct(h.replyTo.flatMap((v) => readings(v).flatMap(parseMailboxes))))) this.identities.push({ field: 'Reply-To', mailbox });
    for (const mailbox of senderMailboxes) this.identities.push({ field: 'Sender', mailbox });
    const envelope = parseMailboxes(input.mailFrom)[0];
    if (envelope) this.identities.push({ field: 'MAIL FROM', mailbox: envelope });

    const domains = (mailboxes: readonly Mailbox[], parsed: typeof from) => limit([...new Set([...mailboxes.map((m) => m.domain), ...parsed.flatMap((f) => f.routes)].filter((d) => d !== ''))]);
    const fromDomains = domains(this.from, from);
    const senderDomains = domains(senderMailboxes, sender);
    const envelopeDomains = envelope && envelope.domain !== '' ? [envelope.domain] : [];
    const shown = (field: ShownSender['field'], parsed: typeof from, mailboxes: readonly Mailbox[], own: string[], other: string[]): ShownSender => {
      const texts = limit([...new Set(parsed.flatMap((f) => f.texts))]);
      const shownAddresses = limit([...new Set(parsed.flatMap((f) => f.shownAddresses))]);
      const named = texts.flatMap((text) => catalog.displayNames.findShown(text).map((n) => ({ ...n, text })));
      return { field, texts, shownAddresses, mailboxes, domains: own.length > 0 ? own : other.length > 0 ? other : envelopeDomains, named };
    };
    this.shown = [shown('From', from, this.from, fromDomains, senderDomains), shown('Sender', sender, senderMailboxes, senderDomains, fromDomains)];
    for (const s of this.shown) for (const n of s.named) this.remember(this.displayNamed, n.brand, n.name);
    for (const n of catalog.mentions.find(input.subject)) this.remember(this.subjectNamed, n.brand, n.name);
    // Each HTML part is tokenized once, for its text and its links both.
    const parts: ReadPart[] = input.bodies.map((b) =>
      b.kind === 'html' ? { kind: 'html', reading: b.read?.(MAX_HTML_CHARS) ?? readHtml(b.content.slice(0, MAX_HTML_CHARS)) } : { kind: 'text', content: b.content },
    );
    const texts: string[] = [];
    let budget = MAX_TEXT_CHARS;
    for (const part of parts) {
      if (budget <= 0) break;
      const text = (part.kind === 'html' ? part.reading.visibleText : part.content).slice(0, budget);
      budget -= text.length;
      texts.push(text);
    }
    const body = texts.join('\n');
    for (const [brand, name] of [...this.displayNamed, ...this.subjectNamed]) this.remember(this.named, brand, name);
    for (const n of catalog.mentions.find(body)) this.remember(this.named, n.brand, n.name);
    const words = lureWords(`${input.subject}\n${body}`);
    this.lures = words.lures;
    this.signIn = words.signIn;
    this.links = linksOf(parts, { maxLinks: MAX_LINKS, maxChars: MAX_TEXT_CHARS });
  }

  /** The catalog's judgement of a host, computed once per message. */
  judge(host: string): HostJudgement {
    let j = this.judged.get(host);
    if (!j) {
      const key = normaliseHost(host);
      j = this.judged.get(key) ?? this.catalog.hosts.judge(key);
      this.judged.set(key, j);
      this.judged.set(host, j);
    }
    return j;
  }

  /**
   * Whether a host is the brand's own: official, a listed sending partner, or allow-listed,
   * and written the way the brand writes it.
   * A partner may be another brand's official domain (りそなカード's statements come from
   * vpass.ne.jp, 三井住友カード's), so the brand's partner list is asked as well.
   */
  isOwn(brand: string, host: string): boolean {
    // "ａｐｐｌｅ．ｃｏｍ" reads as apple.com, and is nobody's sending domain (mailbox.senderDomain).
    if (normaliseHost(host) !== host) return false;
    const j = this.judge(host);
    if ((j.kind === 'official' && j.brand === brand) || (j.kind === 'partner' && j.brands.includes(brand)) || j.kind === 'allowed') return true;
    return j.kind === 'official' && this.catalog.index.brands.get(brand)?.senders.has(j.domain) === true;
  }

  /**
   * Whether the mail comes from one of these brands: every From domain is its own. Every,
   * not some: `From: Apple <x@evil.example>, <no_reply@apple.com>` is not Apple's mail.
   */
  fromOwnerOf(brands: Iterable<string>): boolean {
    const domains = this.from.map((m) => m.domain).filter((d) => d !== '');
    if (domains.length === 0) return false;
    for (const brand of brands) if (domains.every((d) => this.isOwn(brand, d))) return true;
    return false;
  }

  /**
   * Whether a link of the mail goes to the brand's own domain: phishers copy the brand's own
   * mail, its logo, footer and privacy links included, and change only the sender or the one
   * link that matters. Beside such links a domain one slip from the brand's is its imitation.
   */
  linksToOwn(brand: string): boolean {
    let own = this.ownLinked;
    if (!own) {
      own = new Set<string>();
      for (const link of this.links) {
        const j = this.judge(link.host);
        if (j.kind === 'official') own.add(j.brand);
      }
      this.ownLinked = own;
    }
    return own.has(brand);
  }

  private ownLinked: Set<string> | undefined;

  /** Brands the reader is told the mail is from: named in a From display name or the subject. */
  get claimed(): ReadonlyMap<string, string> {
    return new Map([...this.subjectNamed, ...this.displayNamed]);
  }

  brandName(id: string): string {
    return this.catalog.index.brands.get(id)?.name ?? id;
  }

  private remember(map: Map<string, string>, brand: string, name: string): void {
    if (!map.has(brand)) map.set(brand, name);
  }
}

/** Mailboxes with an address seen before dropped, in order. */
function distinct(mailboxes: readonly Mailbox[]): Mailbox[] {
  const seen = new Set<string>();
  return mailboxes.filter((m) => !seen.has(m.address) && seen.add(m.address) !== undefined);
}

/** The registrable domain of a host ("www.amazon.co.jp" → "amazon.co.jp"), or the host itself. */
export function registrable(host: string): string {
  return getDomain(host, { allowPrivateDomains: true }) ?? host;
}
