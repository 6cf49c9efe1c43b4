import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getDomain } from 'tldts';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { catalogSchema, type CatalogFile } from '../../src/core/brand/catalog.js';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/jpcert-phishurl');

/** The brands the detector is specified to know, by their fixed ids (policies refer to them). */
const REQUIRED_IDS = [
  'apple', 'amazon', 'microsoft', 'google', 'paypal', 'netflix', 'line', 'yahoo-japan', 'rakuten',
  'smbc-card', 'smbc', 'mufg', 'mufg-nicos', 'mizuho', 'japanpost-bank', 'japanpost', 'chibabank',
  'yokohama-bank', 'ja-bank', 'aeon', 'saison', 'epos', 'jcb', 'amex', 'mastercard', 'visa', 'au',
  'docomo', 'softbank', 'paypay', 'mercari', 'eki-net', 'yamato', 'sagawa', 'etc-meisai', 'nta',
  'soumu', 'tepco', 'nhk', 'sbi-sec', 'monex', 'biglobe', 'yodobashi', 'coinplus', 'dhl', 'fedex',
];

const parsed = catalogSchema.safeParse(parseYaml(readFileSync(path.join(root, 'config/brands.yaml'), 'utf8')));
const brands: CatalogFile['brands'] = parsed.success ? parsed.data.brands : [];
const ids = new Set(brands.map((b) => b.id));

/** brand-map.tsv rows after the header: [description, brand id]. */
const mapRows = readFileSync(path.join(fixtures, 'brand-map.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => line.split('\t'));

describe('config/brands.yaml', () => {
  it('validates against the catalog schema', () => {
    expect(parsed.success ? '' : parsed.error.message).toBe('');
    expect(brands.length).toBeGreaterThanOrEqual(60);
  });

  it('has every required brand id, each once', () => {
    expect(REQUIRED_IDS.filter((id) => !ids.has(id))).toEqual([]);
    expect(ids.size).toBe(brands.length);
  });

  it('lists only registrable domains (chibabank.co.jp, not co.jp or www.chibabank.co.jp)', () => {
    const bad = brands.flatMap((b) =>
      [...b.domains, ...b.mailboxes, ...b.senders].filter((d) => getDomain(d) !== d).map((d) => `${b.id}: ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it('makes no domain official for two brands', () => {
    // Official means domains and mailboxes alike: both make a host "the brand's own".
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const b of brands) {
      for (const d of [...b.domains, ...b.mailboxes]) {
        const first = owner.get(d);
        if (first !== undefined) clashes.push(`${d}: ${first} and ${b.id}`);
        owner.set(d, b.id);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('lists no sender that is already the same brand’s own domain', () => {
    const both = brands.flatMap((b) => b.senders.filter((s) => b.domains.includes(s) || b.mailboxes.includes(s)).map((s) => `${b.id}: ${s}`));
    expect(both).toEqual([]);
  });

  it('has no name shorter than two characters', () => {
    // A one-letter name would be found in almost any text.
    const short = brands.flatMap((b) => [...b.names, ...b.case_sensitive, ...b.keywords].filter((n) => [...n.trim()].length < 2).map((n) => `${b.id}: "${n}"`));
    expect(short).toEqual([]);
  });

  it('lists case-sensitive names among the names they qualify', () => {
    const stray = brands.flatMap((b) => b.case_sensitive.filter((n) => !b.names.includes(n)).map((n) => `${b.id}: ${n}`));
    expect(stray).toEqual([]);
  });
});

describe('test/fixtures/jpcert-phishurl/brand-map.tsv', () => {
  it('has the header and two non-empty columns per row', () => {
    expect(mapRows[0]).toEqual(['description', 'brand']);
    const bad = mapRows.filter((r) => r.length !== 2 || r.some((c) => c.trim() === ''));
    expect(bad).toEqual([]);
  });

  it('maps only to brand ids of the catalog', () => {
    expect(mapRows.slice(1).filter(([, id]) => !ids.has(id ?? '')).map((r) => r.join(' → '))).toEqual([]);
  });

  it('maps each description once, and only descriptions present in the data', () => {
    const descriptions = mapRows.slice(1).map(([d]) => d ?? '');
    expect(descriptions.length).toBe(new Set(descriptions).size);
    // The description is the last CSV field; quoted when it contains a comma.
    const csv = gunzipSync(readFileSync(path.join(fixtures, 'phishurl-2019-2021.csv.gz'))).toString('utf8');
    const present = new Set(csv.split('\n').map((line) => (line.endsWith('"') ? line.slice(line.lastIndexOf(',"') + 2, -1) : line.slice(line.lastIndexOf(',') + 1))));
    expect(descriptions.filter((d) => !present.has(d))).toEqual([]);
  });
});
