import { describe, expect, it } from 'vitest';
import { shippedChecker } from '../../helpers/brand-mail.js';
import { measureJpcert, type JpcertReport } from '../../helpers/jpcert-measure.js';

/**
 * Real phishing URLs reported in Japan (JPCERT/CC, 2019–2021), each put into a mail that
 * names its brand. The numbers are printed for docs/detection.md (`npm run measure:brands`
 * prints the full report); the targets of the issue are asserted.
 */
describe('JPCERT/CC phishing URLs', () => {
  let report: JpcertReport;

  it('put into a mail that names their brand with a lure, nearly all give a suspicious brand finding', () => {
    report = measureJpcert(shippedChecker());
    expect(report.rows).toBe(46_483);
    expect(report.mapped).toBeGreaterThan(40_000);
    console.log(
      `JPCERT: ${report.unique} distinct (host, brand) of ${report.mapped} rows; lure mail caught ${report.lureAny} (${pct(report.lureAny, report.unique)}), ` +
        `suspicious or worse ${report.lureSuspicious}; brand readable in host ${report.readable}, caught by the host alone ${report.readableCaught} (${pct(report.readableCaught, report.readable)}); ` +
        `unjudgeable by name: ${JSON.stringify(report.unjudgeable)}`,
    );
    expect(report.lureSuspicious / report.unique).toBeGreaterThanOrEqual(0.99);
    // 46,483 mails through the detector: minutes of CPU on a loaded 2-core machine, not a hang.
  }, 240_000);

  it('where the brand can be read in the host, the host alone gives a lookalike finding for ≥ 90 %', () => {
    expect(report.readable).toBeGreaterThan(5_000);
    expect(report.readableCaught / report.readable).toBeGreaterThanOrEqual(0.9);
  });
});

function pct(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(1)} %`;
}
