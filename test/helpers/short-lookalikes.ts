import { domainToASCII } from 'node:url';
import { parse } from 'tldts';

/**
 * One-edit lookalikes of a domain, made with the logic of dnstwist's fuzzers (elceef/dnstwist,
 * Apache-2.0) that change the name by one edit: addition, bitsquatting, cyrillic,
 * homoglyph (one glyph, ASCII glyphs only under .jp as dnstwist does for IDN-restricted
 * TLDs), hyphenation, insertion, omission, repetition, replacement, subdomain,
 * transposition, vowel-swap. Not dictionary, tld-swap or various: those are not one edit.
 * The tables are dnstwist's (QWERTY, QWERTZ, AZERTY keyboards; its glyph lists).
 */
export interface Lookalike {
  readonly fuzzer: string;
  readonly domain: string;
}

const KEYBOARDS: ReadonlyArray<Readonly<Record<string, string>>> = [
  {
    '1': '2q', '2': '3wq1', '3': '4ew2', '4': '5re3', '5': '6tr4', '6': '7yt5', '7': '8uy6', '8': '9iu7', '9': '0oi8', '0': 'po9',
    q: '12wa', w: '3esaq2', e: '4rdsw3', r: '5tfde4', t: '6ygfr5', y: '7uhgt6', u: '8ijhy7', i: '9okju8', o: '0plki9', p: 'lo0',
    a: 'qwsz', s: 'edxzaw', d: 'rfcxse', f: 'tgvcdr', g: 'yhbvft', h: 'ujnbgy', j: 'ikmnhu', k: 'olmji', l: 'kop',
    z: 'asx', x: 'zsdc', c: 'xdfv', v: 'cfgb', b: 'vghn', n: 'bhjm', m: 'njk',
  },
  {
    '1': '2q', '2': '3wq1', '3': '4ew2', '4': '5re3', '5': '6tr4', '6': '7zt5', '7': '8uz6', '8': '9iu7', '9': '0oi8', '0': 'po9',
    q: '12wa', w: '3esaq2', e: '4rdsw3', r: '5tfde4', t: '6zgfr5', z: '7uhgt6', u: '8ijhz7', i: '9okju8', o: '0plki9', p: 'lo0',
    a: 'qwsy', s: 'edxyaw', d: 'rfcxse', f: 'tgvcdr', g: 'zhbvft', h: 'ujnbgz', j: 'ikmnhu', k: 'olmji', l: 'kop',
    y: 'asx', x: 'ysdc', c: 'xdfv', v: 'cfgb', b: 'vghn', n: 'bhjm', m: 'njk',
  },
  {
    '1': '2a', '2': '3za1', '3': '4ez2', '4': '5re3', '5': '6tr4', '6': '7yt5', '7': '8uy6', '8': '9iu7', '9': '0oi8', '0': 'po9',
    a: '2zq1', z: '3esqa2', e: '4rdsz3', r: '5tfde4', t: '6ygfr5', y: '7uhgt6', u: '8ijhy7', i: '9okju8', o: '0plki9', p: 'lo0m',
    q: 'zswa', s: 'edxwqz', d: 'rfcxse', f: 'tgvcdr', g: 'yhbvft', h: 'ujnbgy', j: 'iknhu', k: 'olji', l: 'kopm', m: 'lp',
    w: 'sxq', x: 'wsdc', c: 'xdfv', v: 'cfgb', b: 'vghn', n: 'bhj',
  },
];

const GLYPHS_ASCII: Readonly<Record<string, readonly string[]>> = {
  '0': ['o'], '1': ['l', 'i'], '3': ['8'], '6': ['9'], '8': ['3'], '9': ['6'],
  b: ['d', 'lb'], c: ['e'], d: ['b', 'cl', 'dl'], e: ['c'], g: ['q'], h: ['lh'], i: ['1', 'l'], k: ['lc'], l: ['1', 'i'],
  m: ['n', 'nn', 'rn', 'rr'], n: ['m', 'r'], o: ['0'], q: ['g'], w: ['vv'], rn: ['m'], cl: ['d'],
};

const GLYPHS_UNICODE: Readonly<Record<string, string>> = {
  '2': 'ƻ', '3': 'ʒ', '5': 'ƽ',
  a: 'ạăȧɑåąâǎáəäãāà', b: 'ḃḅƅʙḇɓ', c: 'čᴄċçćĉƈ', d: 'ďḍḋɖḏɗḓḑđ', e: 'êẹęèḛěɇėĕéëēȩ', f: 'ḟƒ',
  g: 'ǧġǵğɡǥĝģɢ', h: 'ȟḫḩḣɦḥḧħẖⱨĥ', i: 'ɩǐíɪỉȋɨïīĩịîıĭįì', j: 'ǰĵʝɉ', k: 'ĸǩⱪḵķᴋḳ', l: 'ĺłɫļľ',
  m: 'ᴍṁḿṃɱ', n: 'ņǹńňṅṉṇꞑñŋ', o: 'öóȯỏôᴏōòŏơőõọø', p: 'ṗƿƥṕ', q: 'ʠ', r: 'ʀȓɍɾřṛɽȑṙŗŕɼṟ',
  s: 'ṡșŝꜱʂšśṣş', t: 'ťƫţṭṫțŧ', u: 'ᴜųŭūűǔȕưùůʉú', v: 'ṿⱱᶌṽⱴ', w: 'ᴡẇẅẃẘẉⱳŵẁ', x: 'ẋẍ',
  y: 'ŷÿʏẏɏƴȳýỿỵ', z: 'žƶẓẕⱬᴢżźʐ',
};

const LATIN_TO_CYRILLIC: Readonly<Record<string, string>> = {
  a: 'а', b: 'ь', c: 'с', d: 'ԁ', e: 'е', g: 'ԍ', h: 'һ', i: 'і', j: 'ј', k: 'к', l: 'ӏ', m: 'м', o: 'о', p: 'р', q: 'ԛ',
  s: 'ѕ', t: 'т', v: 'ѵ', w: 'ԝ', x: 'х', y: 'у',
};

const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-';

/** The one-edit lookalikes of `domain` (a registrable domain), each with the fuzzer that made it. */
export function oneEditLookalikes(domain: string): Lookalike[] {
  const p = parse(domain);
  const name = p.domainWithoutSuffix ?? '';
  const suffix = p.publicSuffix ?? '';
  const out = new Map<string, string>();
  const emit = (fuzzer: string, names: Iterable<string>) => {
    for (const n of names) {
      const d = `${n}.${suffix}`;
      if (n === name || out.has(d) || !valid(d)) continue;
      out.set(d, fuzzer);
    }
  };
  const at = (i: number) => name[i] ?? '';
  const range = (n: number) => [...Array(n).keys()];
  const neighbours = (c: string) => KEYBOARDS.flatMap((k) => [...(k[c] ?? '')]);

  emit('addition', [...'0123456789abcdefghijklmnopqrstuvwxyz'].map((c) => name + c));
  emit('bitsquatting', range(name.length).flatMap((i) => [1, 2, 4, 8, 16, 32, 64, 128].map((m) => String.fromCharCode(at(i).charCodeAt(0) ^ m)).filter((b) => CHARS.includes(b)).map((b) => name.slice(0, i) + b + name.slice(i + 1))));
  if ([...name].every((c) => LATIN_TO_CYRILLIC[c])) emit('cyrillic', [[...name].map((c) => LATIN_TO_CYRILLIC[c]).join('')]);
  const unicode = !/(?:^|\.)jp$/.test(suffix);
  const glyphs = (win: string): string[] => [...(GLYPHS_ASCII[win] ?? []), ...(unicode && win.length === 1 ? [...(GLYPHS_UNICODE[win] ?? '')] : [])];
  emit('homoglyph', [1, 2].flatMap((w) => range(name.length - w + 1).flatMap((i) => glyphs(name.slice(i, i + w)).map((g) => name.slice(0, i) + g + name.slice(i + w)))));
  emit('hyphenation', range(name.length).slice(1).map((i) => `${name.slice(0, i)}-${name.slice(i)}`));
  emit('insertion', range(name.length - 1).flatMap((i) => neighbours(at(i)).flatMap((c) => [name.slice(0, i) + c + name.slice(i), name.slice(0, i + 1) + c + name.slice(i + 1)])));
  emit('omission', range(name.length).map((i) => name.slice(0, i) + name.slice(i + 1)));
  emit('repetition', range(name.length).map((i) => name.slice(0, i) + at(i) + name.slice(i)));
  emit('replacement', range(name.length).flatMap((i) => neighbours(at(i)).map((c) => name.slice(0, i) + c + name.slice(i + 1))));
  emit('subdomain', range(name.length - 1).slice(1).filter((i) => !'-.'.includes(at(i)) && !'-.'.includes(at(i - 1))).map((i) => `${name.slice(0, i)}.${name.slice(i)}`));
  emit('transposition', range(name.length - 1).map((i) => name.slice(0, i) + at(i + 1) + at(i) + name.slice(i + 2)));
  emit('vowel-swap', range(name.length).filter((i) => 'aeiou'.includes(at(i))).flatMap((i) => [...'aeiou'].map((v) => name.slice(0, i) + v + name.slice(i + 1))));
  return [...out].map(([d, fuzzer]) => ({ fuzzer, domain: d }));
}

/** dnstwist keeps only names that IDNA can encode, with no empty labels or edge hyphens. */
function valid(domain: string): boolean {
  const ascii = domainToASCII(domain);
  return ascii !== '' && ascii.split('.').every((l) => l.length > 0 && l.length <= 63 && !l.startsWith('-') && !l.endsWith('-'));
}
