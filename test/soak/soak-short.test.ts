import { describe, expect, it } from 'vitest';
import { formatReport } from '../../bench/soak/soak-report.mjs';
import { runSoak } from '../../bench/soak/soak-run.mjs';

/**
 * The soak and fault run of issue 12, short: 25 s of mixed traffic through a real `sekisho
 * serve` (dist/main.js, built by npm test) while the fault injector breaks the next hop and
 * sekisho is SIGKILLed and restarted (once as a cluster of two workers, one of which is
 * killed too), then the ledger: nothing lost, nothing duplicated, the quarantine whole.
 * `npm run soak` is the long run (10 minutes by default).
 */
describe('soak (short)', () => {
  it('loses nothing and duplicates nothing through faults, kills and restarts', { timeout: 150_000 }, async () => {
    const seed = Number(process.env['SOAK_SEED'] ?? 12);
    const report = await runSoak({ seconds: 25, seed, clients: 4, attackers: 2, short: true, drainSeconds: 15 });
    const text = formatReport(report);
    console.log(text);
    const c = report.ledger.counts;
    expect({ lost: report.ledger.lost, duplicated: report.ledger.duplicated, notWhole: report.ledger.problems, stray: report.ledger.stray }, text).toEqual({ lost: [], duplicated: [], notWhole: [], stray: [] });
    expect(report.errors, text).toEqual([]);
    expect(report.chaos.unexpectedExits, text).toBe(0);
    expect(report.finalStop, text).toEqual({ code: 0, signal: null });
    // It really ran through something: kills, faults, and mail of every fate.
    expect(report.chaos.crashes + report.chaos.gracefulRestarts, text).toBeGreaterThanOrEqual(1);
    expect(report.faults.injected, text).toBeGreaterThan(0);
    expect(c['250'], text).toBeGreaterThan(0);
    expect(c.delivered, text).toBeGreaterThan(0);
    expect(c.quarantined, text).toBeGreaterThan(0);
    expect(report.memory.peakRss, text).toBeLessThanOrEqual(report.memory.budget);
  });
});
