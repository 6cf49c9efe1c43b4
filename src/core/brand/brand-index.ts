import { parse } from 'tldts';
import type { BrandEntry } from './catalog.js';
import { DeletionIndex } from './deletion-index.js';
import { skeleton, type ConfusableMap } from './skeleton.js';

/** One official domain of a brand, with what every comparison needs precomputed. */
export interface BrandLabel {
  readonly brand: string;
  /** "chibabank.co.jp" */
  readonly domain: string;
  /** "chibabank"; or a Latin name of the brand run together ("sagawa", "appleid"). */
  readonly label: string;
  /** "co.jp"; "" for a label made from a brand name ("sagawa" from "SAGAWA"), which has no TLD of its own. */
  readonly suffix: string;
  /** Confusable skeleton of the label, diacritics removed. */
  readonly skeleton: string;
  /** The skeleton as a small font or a quick glance reads it (see visualFold), letter by letter and with letter pairs merged. */
  readonly visual: readonly [string, string];
  /** "chibabankcojp": the domain without dots, for "split" and "joined" forms; "" for a name. */
  readonly compact: string;
}

/** Names of this many letters or fewer have no typo budget and are judged by the kind of edit. */
export const SHORT_NAME = 4;

export interface IndexedBrand {
  readonly id: string;
  readonly name: string;
  readonly names: readonly string[];
  readonly caseSensitive: ReadonlySet<string>;
  readonly keywords: readonly string[];
  readonly domains: ReadonlySet<string>;
  readonly mailboxes: ReadonlySet<string>;
  readonly senders: ReadonlySet<string>;
}

/**
 * The catalog prepared for per-message lookups. Comparing every domain of a message with
 * every catalog entry by string distance would not scale; instead exact labels, skeletons
 * and official domains are hash lookups, and edit distance is only computed against the
 * labels of near length (a few per candidate).
 */
export class BrandIndex {
  readonly brands = new Map<string, IndexedBrand>();
  /** Official registrable domain (mailbox domains included) → brand id. */
  readonly official = new Map<string, string>();
  /** Third-party sending domain → brand ids it may send for. */
  readonly partners = new Map<string, string[]>();
  /** Real domains of others spelt nearly like a brand's → the brands they are never lookalikes of. */
  readonly neighbours = new Map<string, string[]>();
  /** Never judged: the admin's own domains and anything else they trust. */
  readonly allowed: ReadonlySet<string>;
  readonly labels: readonly BrandLabel[];
  readonly byLabel = new Map<string, BrandLabel[]>();
  readonly bySkeleton = new Map<string, BrandLabel[]>();
  readonly byLength = new Map<number, BrandLabel[]>();
  /** "amazoncojp" → the labels of amazon.co.jp: joined and split forms are lookups. */
  readonly byCompact = new Map<string, BrandLabel[]>();
  /** Short labels (aeon, jcb, au) by their glanceFold: srnbc, rnufg and dh1 are hash look-ups. */
  readonly byGlance = new Map<string, BrandLabel[]>();
  /** Labels long enough to be found inside other names (findapple.com), longest first. */
  readonly containable: readonly BrandLabel[];
  /** Labels by near spelling: as written, as skeleton, and in both visual readings. */
  readonly near = {
    label: new DeletionIndex<BrandLabel>(),
    skeleton: new DeletionIndex<BrandLabel>(),
    visual: new DeletionIndex<BrandLabel>(),
    visualPairs: new DeletionIndex<BrandLabel>(),
  };

  constructor(
    entries: readonly BrandEntry[],
    readonly confusables: ConfusableMap,
    allowDomains: readonly string[] = [],
  ) {
    this.allowed = new Set(allowDomains.map((d) => d.toLowerCase()));
    const labels: BrandLabel[] = [];
    for (const e of entries) {
      this.brands.set(e.id, {
        id: e.id,
        name: e.name,
        names: e.names,
        caseSensitive: new Set(e.case_sensitive),
        keywords: e.keywords,
        domains: new Set(e.domains),
        mailboxes: new Set(e.mailboxes),
        senders: new Set(e.senders),
      });
      const ownLabels = new Set([...e.domains, ...e.mailboxes].map((d) => parse(d).domainWithoutSuffix ?? d));
      for (const domain of [...e.domains, ...e.mailboxes]) {
        this.official.set(domain, e.id);
        const p = parse(domain);
        const label = p.domainWithoutSuffix ?? domain;
        const suffix = p.publicSuffix ?? '';
        // Under the brand's own top-level domain (global.jcb) the label is an ordinary word:
        // the brand is the TLD, and "global" inside sbcglobal.net imitates nobody.
        if (ownLabels.has(suffix)) {
          this.official.set(domain, e.id);
          continue;
        }
        const folded = this.fold(label);
        labels.push({ brand: e.id, domain, label, suffix, skeleton: folded, visual: [visualFold(folded, false), visualFold(folded, true)], compact: domain.replace(/\./g, '') });
      }
      for (const sender of e.senders) this.partners.set(sender, [...(this.partners.get(sender) ?? []), e.id]);
      for (const n of e.neighbours) this.neighbours.set(n, [...(this.neighbours.get(n) ?? []), e.id]);
      // Phishers spell the brand as customers know it, not as its domain is spelt:
      // sagawa-gf.com (佐川急便 is sagawa-exp.co.jp), mizuhopay.com (mizuhobank.co.jp),
      // appleid-verify.com. Latin names of five letters or more are labels too.
      const own = new Set(labels.filter((l) => l.brand === e.id).map((l) => l.label.replace(/-/g, '')));
      const first = e.domains[0] ?? e.mailboxes[0];
      for (const name of e.names) {
        const label = name.normalize('NFKC').toLowerCase().replace(/[^a-z0-9]/g, '');
        if (first === undefined || !/^[\x20-\x7e]+$/.test(name.normalize('NFKC')) || label.length < 5 || own.has(label)) continue;
        own.add(label);
        const folded = this.fold(label);
        labels.push({ brand: e.id, domain: first, label, suffix: '', skeleton: folded, visual: [visualFold(folded, false), visualFold(folded, true)], compact: '' });
      }
    }
    this.labels = labels;
    for (const l of labels) {
      push(this.byLabel, l.label, l);
      push(this.bySkeleton, l.skeleton, l);
      push(this.byLength, l.label.length, l);
      if (l.compact) push(this.byCompact, l.compact, l);
      if (l.label.length <= SHORT_NAME) push(this.byGlance, glanceFold(l.skeleton), l);
      // Every name within one edit of a word is looked for, whatever the typo budget of the
      // whole label, so even short names are indexed one deletion deep.
      const k = Math.max(1, typoBudget(l.label.length));
      this.near.label.add(l.label, l, k);
      this.near.skeleton.add(l.skeleton, l, k);
      this.near.visual.add(l.visual[0], l, k);
      this.near.visualPairs.add(l.visual[1], l, k);
    }
    this.containable = labels.filter((l) => l.label.length >= 5 || l.label.includes('-')).sort((a, b) => b.label.length - a.label.length);
  }

  /**
   * Skeleton with diacritics dropped and lower-cased: "âppľe" reads as "apple" to a person,
   * and confusables.txt maps some characters to capitals ("0" → "O").
   */
  fold(text: string): string {
    return skeleton(text, this.confusables).replace(/\p{M}/gu, '').normalize('NFC').toLowerCase();
  }

}

/**
 * Letters that differ for Unicode but not for a reader glancing at a link: dnstwist's
 * homoglyph table (rn/m, vv/w, cl/d, lc/k, c/e, n/m, d/b, q/g, 1/l/i, 5/s). UTS #39 keeps
 * these apart because they are distinct letters; a phisher picks them because they look
 * alike. Applied to skeletons; for names of four letters or fewer only an exact match at a
 * glance counts (lookalike.ts: aeom is aeon, lime is not line).
 */
const VISUAL_PAIRS: ReadonlyArray<[RegExp, string]> = [
  [/rn|nn|rr/g, 'm'],
  [/vv/g, 'w'],
  [/cl|dl/g, 'd'],
  [/lb/g, 'b'],
  [/lh/g, 'h'],
  [/lk|ik|lc/g, 'k'],
];

const VISUAL_SINGLES: ReadonlyArray<[RegExp, string]> = [
  [/[1i!|]/g, 'l'],
  [/0/g, 'o'],
  [/5/g, 's'],
  [/m/g, 'n'],
  [/c/g, 'e'],
  [/d/g, 'b'],
  [/q/g, 'g'],
];

/**
 * Letters with hooks and strokes that dnstwist uses and UTS #39 does not map to the Latin
 * letter they pass for (ƿ for p, ə for a, ɫ for l), and the Cyrillic letters of its
 * all-Cyrillic names, which confusables.txt maps to small capitals or to ʍ rather than to
 * the letter they pass for (ѕмьс for smbc, һотмаіӏ for hotmail, ԍѕтатіс for gstatic).
 */
const VISUAL_LETTERS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({
    a: 'ɑəɐǝ',
    b: 'ʙɓƅь',
    c: 'ƈᴄ',
    d: 'ɗđɖ',
    e: 'ɇ',
    f: 'ƒ',
    g: 'ɢɡǥ',
    h: 'ħɦⱨ',
    i: 'ıɩɨɪ',
    j: 'ʝɉ',
    k: 'ⱪᴋĸ',
    l: 'ɫł',
    m: 'ᴍɱмʍ',
    n: 'ꞑ',
    o: 'ơᴏ',
    p: 'ƿƥþ',
    q: 'ʠ',
    r: 'ʀɼɽɍɾ',
    s: 'ʂꜱ',
    t: 'ŧƫᴛ',
    u: 'ᴜʉư',
    v: 'ⱱᶌⱴ',
    w: 'ⱳᴡ',
    y: 'ʏƴɏỿ',
    z: 'ʐᴢƶⱬ',
  }).flatMap(([latin, lookalikes]) => [...lookalikes].map((c) => [c, latin])),
);

/**
 * Two readings, since pairs and letters overlap: "applc" is apple with c for e (letters)
 * while "chibabanlc" is chibabank with lc for k (pairs first).
 */
export function visualFold(skeleton: string, pairs: boolean): string {
  let out = skeleton.replace(/[^\x00-\x7f]/g, (c) => VISUAL_LETTERS[c] ?? c);
  if (pairs) for (const [re, to] of VISUAL_PAIRS) out = out.replace(re, to);
  for (const [re, to] of VISUAL_SINGLES) out = out.replace(re, to);
  return out;
}

/**
 * The visual reading for short names: letter pairs merged, then look-alike letters, but m
 * kept apart from n. For a long name one hump more or less is a misprint of the brand
 * (amazom); for a four-letter word it is another word as often as not (lime, line).
 */
export function glanceFold(skeleton: string): string {
  let out = skeleton.replace(/[^\x00-\x7f]/g, (c) => VISUAL_LETTERS[c] ?? c);
  for (const [re, to] of VISUAL_PAIRS) out = out.replace(re, to);
  for (const [re, to] of VISUAL_SINGLES) if (to !== 'n') out = out.replace(re, to);
  return out;
}

/** Edits allowed for a brand label of n characters: none for short ones (line/lime, visa/vista). */
export function typoBudget(n: number): number {
  if (n <= SHORT_NAME) return 0;
  if (n <= 7) return 1;
  return 2;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
