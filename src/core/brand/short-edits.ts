/**
 * What one edit did to a short brand name (aeon, jcb, mufg): the evidence for judging a
 * domain one edit from it. Short names get no typo budget (lime is not line, visa is not
 * vista), so a lookalike of one is recognised by the kind of edit and where it is registered
 * (lookalike.ts), not by distance alone.
 */
export type ShortEdit =
  /**
   * A letter doubled (dhll, viisa, xboox): the name still reads whole at a glance, and a
   * doubled letter in a three- or four-letter name is no word of anyone's.
   */
  | 'doubled'
  /** A digit put into or for a letter of an all-letter name (dhl1, vis4): a name with a number tacked on. */
  | 'digit'
  /** A slip of the fingers: a neighbouring key, a dropped letter, two letters swapped, a hyphen. */
  | 'slip'
  /** Any other changed or added letter (dnstwist's bitsquatting and addition). */
  | 'other';

export interface ShortEditReading {
  readonly kind: ShortEdit;
  /** For people: "n→m, the next key", "cb↔bc", "a doubled", "e dropped", "x added". */
  readonly detail: string;
}

/**
 * Keys next to each other on a QWERTY keyboard, the layout Japanese (JIS) and US keyboards
 * share for letters; dnstwist's replacement and insertion fuzzers use the same table.
 */
const QWERTY: Readonly<Record<string, string>> = {
  '1': '2q', '2': '3wq1', '3': '4ew2', '4': '5re3', '5': '6tr4', '6': '7yt5', '7': '8uy6', '8': '9iu7', '9': '0oi8', '0': 'po9',
  q: '12wa', w: '3esaq2', e: '4rdsw3', r: '5tfde4', t: '6ygfr5', y: '7uhgt6', u: '8ijhy7', i: '9okju8', o: '0plki9', p: 'lo0',
  a: 'qwsz', s: 'edxzaw', d: 'rfcxse', f: 'tgvcdr', g: 'yhbvft', h: 'ujnbgy', j: 'ikmnhu', k: 'olmji', l: 'kop',
  z: 'asx', x: 'zsdc', c: 'xdfv', v: 'cfgb', b: 'vghn', n: 'bhjm', m: 'njk',
};

const DIGIT = /[0-9]/;
const isDigit = (c: string) => c >= '0' && c <= '9';

function neighbours(a: string, b: string): boolean {
  return (QWERTY[a] ?? '').includes(b);
}

/**
 * The one edit (optimal string alignment: substitution, insertion, deletion or swap of
 * neighbours) that turns `name` into `found`, or undefined when they are not one edit
 * apart. The visual reading is the caller's: it needs the catalog's folds.
 */
export function readShortEdit(found: string, name: string): ShortEditReading | undefined {
  if (found === name) return undefined;
  if (found.length === name.length) {
    let i = 0;
    while (found[i] === name[i]) i++;
    const was = name[i] ?? '';
    const now = found[i] ?? '';
    if (found.slice(i + 1) === name.slice(i + 1)) {
      if (isDigit(now) && !isDigit(was) && !DIGIT.test(name)) return { kind: 'digit', detail: `${was}→${now}` };
      return neighbours(was, now) ? { kind: 'slip', detail: `${was}→${now}, the next key` } : { kind: 'other', detail: `${was}→${now}` };
    }
    if (found[i + 1] === was && name[i + 1] === now && found.slice(i + 2) === name.slice(i + 2)) {
      return { kind: 'slip', detail: `${was}${now}↔${now}${was}` };
    }
    return undefined;
  }
  if (found.length === name.length + 1) {
    let i = 0;
    while (i < name.length && found[i] === name[i]) i++;
    if (found.slice(i + 1) !== name.slice(i)) return undefined;
    const added = found[i] ?? '';
    if (added === '-') return { kind: 'slip', detail: 'a hyphen added' };
    // A doubled letter (aeeon), or a neighbouring key struck with it (aewon): dnstwist's
    // repetition and insertion.
    const before = found[i - 1] ?? '';
    const after = found[i + 1] ?? '';
    if (added === before || added === after) return { kind: 'doubled', detail: `${added} doubled` };
    if (isDigit(added) && !DIGIT.test(name)) return { kind: 'digit', detail: `${added} added` };
    if (neighbours(before, added) || neighbours(after, added)) return { kind: 'slip', detail: `${added} slipped in` };
    return { kind: 'other', detail: `${added} added` };
  }
  if (found.length + 1 === name.length) {
    let i = 0;
    while (i < found.length && found[i] === name[i]) i++;
    if (name.slice(i + 1) !== found.slice(i)) return undefined;
    return { kind: 'slip', detail: `${name[i] ?? ''} dropped` };
  }
  return undefined;
}
