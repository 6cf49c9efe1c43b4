import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inspectorPlan, inspectorSettings, type InspectorPlan } from '../../src/config/inspect-options.js';
import { validateConfig } from '../../src/config/load-config.js';
import { inspect } from '../../src/core/inspect.js';
import { InspectionPool } from '../../src/filter/inspection-pool.js';
import { InlineInspector } from '../../src/filter/inspector.js';
import { Metrics } from '../../src/metrics/metrics.js';

/**
 * The worker pool on its own: real worker threads (dist/filter/inspection-worker.js, built
 * by `npm test`), real inspections. Faults are made by the test-only header
 * X-Sekisho-Test-Fault, which the worker obeys only with SEKISHO_TEST_FAULTS=1.
 */

const SAMPLES = path.resolve(__dirname, '../../samples');
const ENVELOPE = { mailFrom: 'a@partner.example', rcptTo: ['u@example.net'] };
const clean = readFileSync(path.join(SAMPLES, '01-clean-japanese.eml'));
const macro = readFileSync(path.join(SAMPLES, '03-zipped-macro.eml'));
const faulty = (fault: string) => Buffer.concat([Buffer.from(`X-Sekisho-Test-Fault: ${fault}\r\nSubject: fault ${fault}\r\nFrom: f@partner.example\r\n`), clean.subarray(clean.indexOf('\r\n\r\n') + 2)]);

function configOf(inspect: Record<string, unknown> = {}) {
  return validateConfig('test.yaml', { smtp: { listen: '127.0.0.1:0', upstream: 'outbox:/tmp/x' }, inspect });
}

const pools: InspectionPool[] = [];
function poolOf(inspectConfig: Record<string, unknown>, plan: Partial<InspectorPlan> = {}, metrics?: Metrics): InspectionPool {
  const loaded = configOf(inspectConfig);
  const pool = new InspectionPool(inspectorSettings(loaded), { ...inspectorPlan(loaded), ...plan }, undefined, metrics);
  pools.push(pool);
  return pool;
}

beforeAll(() => {
  process.env['SEKISHO_TEST_FAULTS'] = '1';
});

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

describe('InspectionPool', () => {
  it('gives the verdict the core gives inline, header facts included', async () => {
    const pool = poolOf({}, { threads: 2 });
    await pool.ready();
    const loaded = configOf();
    const inline = new InlineInspector(inspectorSettings(loaded));
    for (const message of [clean, macro]) {
      const pooled = await pool.inspect(ENVELOPE, message);
      const direct = await inline.inspect(ENVELOPE, message);
      expect(pooled.kind).toBe('inspected');
      if (pooled.kind !== 'inspected' || direct.kind !== 'inspected') return;
      expect(pooled.inspection).toEqual(direct.inspection);
    }
    // And the same as inspect() itself.
    const core = await inspect(ENVELOPE, macro, (await import('../../src/config/inspect-options.js')).inspectOptions(loaded));
    const again = await pool.inspect(ENVELOPE, macro);
    expect(again.kind === 'inspected' && again.inspection).toEqual(core);
  });

  it('a worker still busy at the time budget is terminated: the message is unscannable (limits/time), the next one is inspected', async () => {
    const metrics = new Metrics('test', { processMetrics: false });
    const pool = poolOf({ time_budget: '1s' }, { threads: 1 }, metrics);
    await pool.ready();
    const stalled = await pool.inspect(ENVELOPE, faulty('hang'));
    expect(stalled.kind).toBe('inspected');
    if (stalled.kind !== 'inspected') return;
    expect(stalled.inspection.verdict).toBe('unscannable');
    expect(stalled.inspection.findings.map((f) => `${f.detector}/${f.code}`)).toEqual(['limits/time']);
    // The facts came from the worker before it stalled.
    expect(stalled.inspection.headers.subject).toBe('fault hang');
    const next = await pool.inspect(ENVELOPE, clean);
    expect(next.kind === 'inspected' && next.inspection.verdict).toBe('clean');
    expect(await metrics.registry.metrics()).toMatch(/sekisho_inspect_worker_restarts_total\{reason="deadline"\} 1/);
  });

  it('a worker that throws, exits or runs out of heap fails only its message, and is replaced', async () => {
    const metrics = new Metrics('test', { processMetrics: false });
    const pool = poolOf({}, { threads: 1, workerHeapMb: 64 }, metrics);
    await pool.ready();
    expect(await pool.inspect(ENVELOPE, faulty('crash'))).toMatchObject({ kind: 'failed', reason: 'crash', detail: 'test fault: crash' });
    expect(await pool.inspect(ENVELOPE, faulty('exit'))).toMatchObject({ kind: 'failed', reason: 'crash', detail: 'worker exited with code 3' });
    expect(await pool.inspect(ENVELOPE, faulty('memory'))).toMatchObject({ kind: 'failed', reason: 'memory' });
    const after = await pool.inspect(ENVELOPE, clean);
    expect(after.kind === 'inspected' && after.inspection.verdict).toBe('clean');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/sekisho_inspect_worker_restarts_total\{reason="crash"\} 2/);
    expect(text).toMatch(/sekisho_inspect_worker_restarts_total\{reason="memory"\} 1/);
  });

  it('past max_queue waiting messages the answer is busy at once; queued ones are inspected in turn', async () => {
    const metrics = new Metrics('test', { processMetrics: false });
    const pool = poolOf({ time_budget: '2s' }, { threads: 1, maxQueue: 2 }, metrics);
    await pool.ready();
    const outcomes = [pool.inspect(ENVELOPE, faulty('hang')), pool.inspect(ENVELOPE, clean), pool.inspect(ENVELOPE, clean)];
    // One inspecting, two waiting: the fourth finds the queue full.
    expect(await pool.inspect(ENVELOPE, clean)).toEqual({ kind: 'busy' });
    expect(await metrics.registry.metrics()).toMatch(/sekisho_inspect_queue_depth 2/);
    const [stalled, a, b] = await Promise.all(outcomes);
    expect(stalled?.kind === 'inspected' && stalled.inspection.verdict).toBe('unscannable');
    expect(a?.kind === 'inspected' && a.inspection.verdict).toBe('clean');
    expect(b?.kind === 'inspected' && b.inspection.verdict).toBe('clean');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/sekisho_inspect_queue_full_total 1/);
    expect(text).toMatch(/sekisho_inspect_queue_depth 0/);
    expect(text).toMatch(/sekisho_inspect_workers 1/);
  });

  it('reconfigure rebuilds the brand catalog in every worker', async () => {
    const phish = readFileSync(path.join(SAMPLES, '06-display-name-only.eml'));
    const pool = poolOf({}, { threads: 2 });
    await pool.ready();
    const before = await pool.inspect(ENVELOPE, phish);
    expect(before.kind === 'inspected' && before.inspection.findings.some((f) => f.detector === 'brand')).toBe(true);
    pool.reconfigure(inspectorSettings(validateConfig('test.yaml', { smtp: { listen: '127.0.0.1:0', upstream: 'outbox:/tmp/x' }, brands: { enabled: false } })));
    // Both workers: two at once, one each.
    const after = await Promise.all([pool.inspect(ENVELOPE, phish), pool.inspect(ENVELOPE, phish)]);
    for (const outcome of after) expect(outcome.kind === 'inspected' && outcome.inspection.findings.some((f) => f.detector === 'brand')).toBe(false);
  });

  it('the message bytes reach the worker over shared memory and are still whole after the worker is killed', async () => {
    const pool = poolOf({ time_budget: '200ms' }, { threads: 1 });
    await pool.ready();
    const message = faulty('hang');
    const copy = Buffer.from(message);
    await pool.inspect(ENVELOPE, message);
    expect(message.equals(copy)).toBe(true);
  });
});
