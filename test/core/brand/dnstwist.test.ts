import { describe, expect, it } from 'vitest';
import { shippedChecker } from '../../helpers/brand-mail.js';
import { dnstwistFiles, measureDnstwist } from '../../helpers/dnstwist-measure.js';

/**
 * Every lookalike dnstwist makes of a catalog domain must be caught, as the sender of a mail
 * that uses the brand's name and as a link in a mail that names the brand. The only ones
 * left out are those the catalog lists as the brand's own (amazon.com is Amazon's, not a
 * "tld-swap" of amazon.co.jp) and the original domain itself.
 */
describe('dnstwist lookalikes', () => {
  it('the fixture holds the three lists', () => {
    expect(dnstwistFiles()).toEqual(['amazon.co.jp.json', 'apple.com.json', 'chibabank.co.jp.json']);
  });

  for (const file of dnstwistFiles()) {
    it(`${file.replace(/\.json$/, '')}: every lookalike is a brand finding as sender and as link`, async () => {
      const report = await measureDnstwist(file, shippedChecker());
      expect(report.missed).toEqual([]);
      const judged = Object.values(report.byFuzzer).reduce((n, c) => n + c.total, 0);
      expect(judged).toBeGreaterThan(400);
      // The exclusions are the brand's own domains under other TLDs (amazon.com, amazon.jp), and few.
      expect(report.official.filter((l) => l.fuzzer !== 'tld-swap' && l.fuzzer !== 'various')).toEqual([]);
      expect(report.official.length).toBeLessThan(judged / 20);
    });
  }
});
