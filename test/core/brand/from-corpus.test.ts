import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brandOnly, inspectBrand, RANK, shippedChecker } from '../../helpers/brand-mail.js';
import { corpusMail, headerBytes, loadFromCorpus, parsedIdentity, type FromRow } from '../../helpers/from-corpus.js';
import type { Verdict } from '../../../src/core/verdict.js';

/**
 * test/fixtures/from-headers: From and Sender forms from RFC 5322's obsolete syntax, RFC 2047
 * and 2231, espoofer's test cases, Mailsploit, mail clients' trackers and our own construction,
 * each run through the parser (display texts and addresses) and through the whole inspection
 * with the shipped catalog (the finding).
 */
const rows = loadFromCorpus();
const spoofs = rows.filter((r) => r.finding !== null);
const checker = shippedChecker();

/** The row's finding at medium or above: what tags or quarantines the mail. */
function caught(row: FromRow, v: Verdict): boolean {
  return brandOnly(v).some((f) => `${f.code}:${String(f.evidence.brand)}` === row.finding && RANK[f.severity] >= RANK.medium);
}

describe('the From/Sender corpus', () => {
  it('has at least 80 forms, spoofs and clean ones, each with a source SOURCES.md explains', () => {
    expect(rows.length).toBeGreaterThanOrEqual(80);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(spoofs.length).toBeGreaterThanOrEqual(60);
    expect(rows.length - spoofs.length).toBeGreaterThanOrEqual(20);
    const sources = readFileSync(new URL('../../fixtures/from-headers/SOURCES.md', import.meta.url), 'utf8');
    for (const kind of new Set(rows.map((r) => r.source.split(':')[0] ?? ''))) expect(sources, kind).toContain(`\`${kind}\``);
  });

  describe.each(rows)('$id', (row) => {
    it('parses into the display texts and addresses a client may show', () => {
      expect(parsedIdentity(headerBytes(row))).toEqual({ texts: row.texts, shown: row.shown, addresses: row.addresses });
    });

    it(row.finding === null ? 'stays clean (nothing at medium or above)' : `gives ${row.finding}`, async () => {
      const v = await inspectBrand(corpusMail(row), checker);
      if (row.finding === null) expect(brandOnly(v).filter((f) => RANK[f.severity] >= RANK.medium)).toEqual([]);
      else expect(caught(row, v), row.missed ?? 'not caught').toBe(row.missed === undefined);
    });
  });

  it('catches at least 95 % of the display-name spoofs', async () => {
    let n = 0;
    for (const row of spoofs) if (caught(row, await inspectBrand(corpusMail(row), checker))) n++;
    console.log(`From/Sender corpus: ${n} of ${spoofs.length} display-name spoofs caught (${((100 * n) / spoofs.length).toFixed(1)} %), ${rows.length - spoofs.length} clean forms`);
    expect(n / spoofs.length).toBeGreaterThanOrEqual(0.95);
  });
});
