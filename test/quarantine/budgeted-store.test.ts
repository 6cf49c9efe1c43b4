import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetedQuarantineStore, QuarantineFullError } from '../../src/quarantine/budgeted-store.js';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import type { QuarantineMeta } from '../../src/quarantine/quarantine-store.js';
import { newTransactionId } from '../../src/message/transaction-id.js';
import { relayFixture } from '../helpers/proxy-harness.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';

/**
 * The quarantine's quota and free-space floor: a flood of macro mail must not fill the disk
 * the MTA queues on, and what does not fit stays with the sender (451 4.3.1).
 */

const SAMPLES = path.resolve(__dirname, '../../samples');
const MACRO = readFileSync(path.join(SAMPLES, '03-zipped-macro.eml'));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function meta(size: number): QuarantineMeta {
  const id = newTransactionId();
  return {
    id,
    received_at: new Date().toISOString(),
    quarantined_at: new Date().toISOString(),
    mail_from: 'a@example.com',
    rcpt_to: ['b@example.net'],
    mail_params: {},
    rcpt_params: [{}],
    client: {},
    size,
    sha256: '',
    subject: 's',
    from: 'a@example.com',
    verdict: 'malicious',
    score: 100,
    findings: [],
    reason: 'test',
  };
}

function budgeted(limits: { maxBytes?: number; maxMessages?: number; minFreeBytes?: number }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-budget-'));
  dirs.push(dir);
  const inner = new FileQuarantineStore(dir);
  const budget = { maxBytes: limits.maxBytes ?? 1e12, maxMessages: limits.maxMessages ?? 1e6, minFreeBytes: limits.minFreeBytes ?? 0 };
  return { inner, store: new BudgetedQuarantineStore(inner, budget, { totalsMaxAgeMs: 300_000, freeBytes: () => inner.freeBytes() }) };
}

const reason = async (p: Promise<unknown>) => p.then(() => 'stored', (err: unknown) => (err instanceof QuarantineFullError ? err.reason : `other: ${String(err)}`));

describe('BudgetedQuarantineStore', () => {
  it('refuses past quarantine.max_messages and max_bytes, and takes again once entries are deleted', async () => {
    const { store } = budgeted({ maxMessages: 2, maxBytes: 250 });
    const body = Buffer.alloc(100, 'x');
    const a = meta(100);
    expect(await reason(store.put(a, body))).toBe('stored');
    expect(await reason(store.put(meta(100), body))).toBe('stored');
    expect(await reason(store.put(meta(100), body))).toBe('max-messages');
    await store.delete(a.id);
    expect(await reason(store.put(meta(100), body))).toBe('stored');
    store.setLimits({ maxBytes: 250, maxMessages: 10, minFreeBytes: 0 });
    expect(await reason(store.put(meta(100), body))).toBe('max-bytes');
    expect((await store.stats()).messages).toBe(2);
  });

  it('counts what was there before it started (a restart does not reset the quota)', async () => {
    const { inner, store } = budgeted({ maxMessages: 1 });
    await inner.put(meta(10), Buffer.alloc(10));
    expect(await reason(store.put(meta(10), Buffer.alloc(10)))).toBe('max-messages');
  });

  it('keeps a free-space floor on the file system, and says so for /readyz', async () => {
    const { store } = budgeted({ minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(await reason(store.put(meta(10), Buffer.alloc(10)))).toBe('free-space');
    expect(await store.freeSpace()).toMatchObject({ ok: false, problem: 'low disk space for the quarantine' });
    const { store: roomy } = budgeted({ minFreeBytes: 1 });
    expect(await roomy.freeSpace()).toMatchObject({ ok: true });
  });
});

describe('the proxy with a full quarantine', () => {
  const relay = relayFixture();

  it('answers 451 4.3.1 to mail the policy would quarantine, counts it, and clean mail still flows', async () => {
    const { sink, proxy } = await relay.start({}, { quarantine: { max_messages: 1 } });
    const client = await SmtpTestClient.connect(proxy.port);
    const first = await client.send('a@partner.example', ['u@example.net'], MACRO);
    const second = await client.send('b@partner.example', ['u@example.net'], MACRO);
    const clean = await client.send('c@partner.example', ['u@example.net'], Buffer.from('Subject: hi\r\n\r\nhello\r\n'));
    await client.quit();
    expect(first.data?.final?.code).toBe(250);
    expect(second.data?.final?.text).toBe('451 4.3.1 Insufficient system storage, try again later');
    expect(clean.data?.final?.code).toBe(250);
    expect(sink.messages).toHaveLength(1);
    expect(proxy.logs.lines.find((l) => l['event'] === 'quarantine-full')).toMatchObject({ reason: 'max-messages' });
    expect(await proxy.metrics.registry.getSingleMetricAsString('sekisho_quarantine_full_total')).toContain('sekisho_quarantine_full_total{reason="max-messages"} 1');
  });

  it('/readyz is not ready below quarantine.min_free_bytes', async () => {
    const { proxy } = await relay.start({}, { quarantine: { min_free_bytes: Number.MAX_SAFE_INTEGER }, admin: { listen: '127.0.0.1:0' } });
    const res = await fetch(`http://127.0.0.1:${proxy.daemon.adminAddress?.port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { quarantine: { ok: false, problem: 'low disk space for the quarantine' } } });
  });
});
