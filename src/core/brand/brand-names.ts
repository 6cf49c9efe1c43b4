import type { BrandIndex } from './brand-index.js';
import { shownReadings } from './shown-name.js';
import type { ConfusableMap } from './skeleton.js';

/** A brand named in a text, and the words that named it. */
export interface NamedBrand {
  readonly brand: string;
  readonly name: string;
}

/** A brand named in a display name, and the reading of it that named it (shown-name.ts). */
export interface ShownBrand extends NamedBrand {
  readonly reading: string;
}

/** Latin names need a word boundary; Japanese ones are found inside other words ("千葉銀行からの"). */
const LATIN = /^[\x00-\x7f]+$/;

/**
 * Finds brand names in display names, subjects and bodies. Text is NFKC-normalised first
 * (Ａｍａｚｏｎ and half-width ｱﾏｿﾞﾝ read as Amazon and アマゾン) and Latin names are
 * case-folded (APPLE, Paypal), except that an all-lower-case "apple" is the fruit, and the
 * names the catalog marks case-sensitive (LINE, au) or of three letters or fewer must
 * match exactly, being ordinary words in lower case. One regular expression
 * per kind, longest names first, so a text is scanned three times, not once per name.
 */
export class NameMatcher {
  private readonly folded: RegExp | undefined;
  private readonly exact: RegExp | undefined;
  private readonly cjk: RegExp | undefined;
  private readonly owners = new Map<string, string[]>();
  /** Folded names written with capitals in the catalog ("Apple", "PayPal"). */
  private readonly capitalised = new Set<string>();
  private readonly confusables: ConfusableMap;

  constructor(index: BrandIndex, withKeywords: boolean) {
    this.confusables = index.confusables;
    const folded: string[] = [];
    const exact: string[] = [];
    const cjk: string[] = [];
    for (const brand of index.brands.values()) {
      for (const raw of withKeywords ? [...brand.names, ...brand.keywords] : brand.names) {
        const name = raw.normalize('NFKC');
        if (!LATIN.test(name)) {
          cjk.push(this.own(name, brand.id));
        } else if (brand.caseSensitive.has(raw) || name.replace(/[^A-Za-z0-9]/g, '').length <= 3) {
          exact.push(this.own(name, brand.id));
        } else {
          folded.push(this.own(name.toLowerCase(), brand.id));
          if (name !== name.toLowerCase()) this.capitalised.add(name.toLowerCase());
        }
      }
    }
    // One match per place: "三菱UFJニコス" hides "三菱UFJ" (another brand of the group), so
    // each name also carries the brands of the names inside it.
    const all = [...this.owners.keys()];
    for (const name of all) {
      const lower = name.toLowerCase();
      for (const inner of all) {
        if (inner === name || !(name.includes(inner) || (this.capitalised.has(inner) || folded.includes(inner) ? lower.includes(inner) : false))) continue;
        for (const brand of this.owners.get(inner) ?? []) this.own(name, brand);
      }
    }
    this.folded = alternation(folded, '(?<![A-Za-z0-9])', '(?![A-Za-z0-9])', 'gi');
    this.exact = alternation(exact, '(?<![A-Za-z0-9])', '(?![A-Za-z0-9])', 'g');
    this.cjk = alternation(cjk, '', '', 'g');
  }

  /** Brands named in `text`, each once, with the first name that named it. */
  find(text: string): NamedBrand[] {
    const found = new Map<string, string>();
    const normal = text.normalize('NFKC');
    // A mail repeating "Amazon" ten thousand times names Amazon once: a spelling already
    // looked at adds nothing, so only the regex match is paid for it again.
    const scan = (re: RegExp | undefined, folded: boolean) => {
      if (!re) return;
      const spellings = new Set<string>();
      re.lastIndex = 0;
      for (let m = re.exec(normal); m !== null; m = re.exec(normal)) {
        if (spellings.has(m[0])) continue;
        spellings.add(m[0]);
        const key = folded ? m[0].toLowerCase() : m[0];
        // "apple pie", "amazon rainforest": a brand written with capitals in the catalog
        // but all in lower case in the text is the ordinary word, not the brand.
        if (folded && m[0] === key && this.capitalised.has(key)) continue;
        for (const brand of this.owners.get(key) ?? []) if (!found.has(brand)) found.set(brand, m[0]);
      }
    };
    scan(this.folded, true);
    scan(this.exact, false);
    scan(this.cjk, false);
    return [...found].map(([brand, name]) => ({ brand, name }));
  }

  /**
   * Brands named in a display name as a person reads it: every reading of shownReadings
   * (invisible characters, decorations, look-alike letters), each brand once.
   */
  findShown(text: string): ShownBrand[] {
    const found = new Map<string, ShownBrand>();
    for (const reading of shownReadings(text, this.confusables)) {
      for (const n of this.find(reading)) if (!found.has(n.brand)) found.set(n.brand, { ...n, reading });
    }
    return [...found.values()];
  }

  private own(name: string, brand: string): string {
    const list = this.owners.get(name);
    if (!list) this.owners.set(name, [brand]);
    else if (!list.includes(brand)) list.push(brand);
    return name;
  }
}

function alternation(words: readonly string[], before: string, after: string, flags: string): RegExp | undefined {
  const unique = [...new Set(words)].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return undefined;
  return new RegExp(`${before}(?:${unique.map(escape).join('|')})${after}`, flags);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
