import { parse } from 'tldts';
import { describe, expect, it } from 'vitest';
import { judgeHost, stronger } from '../../../src/core/brand/lookalike.js';
import { shippedChecker } from '../../helpers/brand-mail.js';
import { catalogDomains, measureShort, shortDomains, sum } from '../../helpers/short-measure.js';

/**
 * One-edit lookalikes (dnstwist's fuzzers, test/helpers/short-lookalikes.ts) of the shipped
 * catalog's short domains: aeon.co.jp, smbc.co.jp, mufg.jp, jcb.co.jp, nhk.or.jp, … Under
 * .jp they are caught with or without the brand named; elsewhere with the brand named.
 */
describe('one-edit lookalikes of short catalog domains', () => {
  const checker = shippedChecker();

  it('under .jp: at least 95 % give a suspicious finding, with or without the brand named', async () => {
    const r = await measureShort(checker, (d) => d.endsWith('.jp'));
    const t = sum(r.byDomain.values());
    expect(t.total).toBeGreaterThan(1500);
    for (const k of ['namedSender', 'namedLink', 'unnamedSender', 'unnamedLink'] as const) expect(t[k] / t.total, k).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('under other suffixes: at least 95 % of senders using the brand\'s name are caught', async () => {
    const r = await measureShort(checker, (d) => !d.endsWith('.jp'));
    const t = sum(r.byDomain.values());
    expect(t.namedSender / t.total).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('under other suffixes, names of three or four letters: at least 95 % are caught beside a lure or the brand\'s own links', async () => {
    // dhk.com, bimg.com, vsia.com: alone only possible (lime.com, max.com and ring.com are
    // real), but not from a mail pressing for payment details or copying the brand's template.
    const r = await measureShort(checker, (d) => !d.endsWith('.jp') && (parse(d).domainWithoutSuffix ?? '').length >= 3);
    const t = sum(r.byDomain.values());
    expect(t.total).toBeGreaterThan(1000);
    expect(t.unnamedLure / t.total).toBeGreaterThanOrEqual(0.95);
    expect(t.unnamedBesideOwn / t.total).toBeGreaterThanOrEqual(0.95);
  }, 180_000);

  it('every catalog domain (a 1-in-7 sample of its lookalikes): at least 95 % caught with and without the brand named', async () => {
    // The target over all of them; npm run measure:brands runs every lookalike.
    const r = await measureShort(checker, undefined, catalogDomains(checker), 7);
    const t = sum(r.byDomain.values());
    expect(r.byDomain.size).toBeGreaterThan(200);
    expect(t.total).toBeGreaterThan(7000);
    for (const k of ['namedSender', 'namedLink', 'unnamedSender', 'unnamedLink'] as const) expect(t[k] / t.total, k).toBeGreaterThanOrEqual(0.95);
  }, 180_000);

  it('no domain of the catalog (official, mailbox, partner, neighbour) is a likely lookalike of another brand', () => {
    const own = new Set(shortDomains(checker).map((d) => d.domain));
    const listed = [...checker.index.official.keys(), ...checker.index.partners.keys(), ...checker.index.neighbours.keys()];
    const wrong = listed.flatMap((d) => {
      const j = judgeHost(d, checker.index);
      return j.kind === 'lookalike' ? j.matches.filter((m) => !stronger('likely', m.strength)).map((m) => `${d} → ${m.official}`) : [];
    });
    expect(own.size).toBeGreaterThan(30);
    expect(wrong).toEqual([]);
  });
});
