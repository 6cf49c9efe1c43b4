import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectorSettings } from '../../src/config/inspect-options.js';
import { validateConfig } from '../../src/config/load-config.js';
import { filterMessage, type FilterDeps, type FilterInput } from '../../src/filter/filter-message.js';
import { InlineInspector, type InspectionOutcome, type Inspector } from '../../src/filter/inspector.js';
import { newTransactionId } from '../../src/message/transaction-id.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { policyFromConfig } from '../../src/policy/policy-config.js';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';

/**
 * The filter without any socket: bytes and an envelope in, a disposition out. Every ingress
 * (proxy, milter, scan) puts on its wire exactly what these dispositions say.
 */

const SAMPLES = path.resolve(__dirname, '../../samples');
const sample = (name: string) => readFileSync(path.join(SAMPLES, name));

function depsFor(configExtra: Record<string, unknown> = {}, over: Partial<FilterDeps> = {}): FilterDeps & { store: FileQuarantineStore } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-filter-q-'));
  const loaded = validateConfig('test.yaml', { smtp: { listen: '127.0.0.1:0', upstream: 'outbox:/tmp/x' }, quarantine: { dir }, ...configExtra });
  const { policy, tag } = policyFromConfig(loaded.config);
  const store = new FileQuarantineStore(dir);
  return { ingress: 'smtp', inspector: new InlineInspector(inspectorSettings(loaded)), policy, tag, quarantine: store, metrics: new Metrics('test', { processMetrics: false }), editBytes: true, store, ...over };
}

function inputOf(message: Buffer, from = 'sender@partner.example'): FilterInput {
  return {
    id: newTransactionId(),
    receivedAt: new Date('2026-12-02T01:00:00Z'),
    mail: { address: from, smtpUtf8: false, body: '8BITMIME' },
    rcpts: [{ address: 'user@example.net', notify: ['FAILURE'] }],
    client: { addr: '203.0.113.9', name: 'mail.partner.example', helo: 'mail.partner.example' },
    message,
  };
}

describe('filterMessage', () => {
  it('pass: relays the very bytes, with no header operation', async () => {
    const message = sample('01-clean-japanese.eml');
    const d = await filterMessage(inputOf(message), depsFor());
    expect(d.kind).toBe('relay');
    if (d.kind !== 'relay') return;
    expect(d.action.kind).toBe('pass');
    expect(d.ops).toEqual([]);
    expect(d.message).toBe(message);
    expect(d.report.inspection?.verdict).toBe('clean');
  });

  it('pass: a forged X-Sekisho verdict is deleted by name and 1-based index, nothing else changes', async () => {
    const message = Buffer.from('X-Sekisho-Verdict: clean\r\nFrom: a@partner.example\r\nx-sekisho-verdict: clean\r\nSubject: hi\r\n\r\nbody\r\n');
    const d = await filterMessage(inputOf(message), depsFor());
    if (d.kind !== 'relay') throw new Error(d.kind);
    expect(d.ops).toEqual([
      { kind: 'delete', name: 'x-sekisho-verdict', index: 2 },
      { kind: 'delete', name: 'X-Sekisho-Verdict', index: 1 },
    ]);
    expect(d.message.toString()).toBe('From: a@partner.example\r\nSubject: hi\r\n\r\nbody\r\n');
  });

  it('tag: the Subject changed in place and the verdict headers inserted at the top; for the milter no bytes are made', async () => {
    const message = sample('06-display-name-only.eml');
    const proxy = await filterMessage(inputOf(message), depsFor());
    if (proxy.kind !== 'relay') throw new Error(proxy.kind);
    expect(proxy.action.kind).toBe('tag');
    const kinds = proxy.ops.map((op) => `${op.kind}:${op.name}`);
    expect(kinds).toEqual(['change:Subject', 'insert:X-Sekisho-Verdict', 'insert:X-Sekisho-Score', 'insert:X-Sekisho-Findings']);
    expect(proxy.ops[0]).toMatchObject({ kind: 'change', index: 1 });
    expect(String((proxy.ops[0] as { value: string }).value)).toMatch(/^\[SUSPICIOUS\] /);
    expect(proxy.ops.slice(1).map((op) => (op.kind === 'insert' ? op.index : -1))).toEqual([0, 1, 2]);
    expect(proxy.message.toString('latin1')).toMatch(/^X-Sekisho-Verdict: suspicious\r\nX-Sekisho-Score: \d+\r\nX-Sekisho-Findings: brand\//);
    // The body, from the end of the header block on, is the very bytes received.
    const bodyAt = message.indexOf('\r\n\r\n');
    expect(proxy.message.subarray(proxy.message.indexOf('\r\n\r\n')).equals(message.subarray(bodyAt))).toBe(true);

    const milter = await filterMessage(inputOf(message), depsFor({}, { editBytes: false }));
    if (milter.kind !== 'relay') throw new Error(milter.kind);
    expect(milter.ops).toEqual(proxy.ops);
    expect(milter.message).toBe(message);
  });

  it('tag in header-only mode: verdict headers, the Subject left alone', async () => {
    const d = await filterMessage(inputOf(sample('06-display-name-only.eml')), depsFor({ policy: { tag: { mode: 'header-only' } } }));
    if (d.kind !== 'relay') throw new Error(d.kind);
    expect(d.ops.map((op) => op.kind)).toEqual(['insert', 'insert', 'insert']);
  });

  it('quarantine: stored durably with the envelope and the facts read during inspection, before the 250', async () => {
    const deps = depsFor();
    const input = inputOf(sample('03-zipped-macro.eml'));
    const d = await filterMessage(input, deps);
    expect(d.kind).toBe('quarantined');
    if (d.kind !== 'quarantined') return;
    expect(d.stored).toBe(true);
    expect(d.id).toBe(input.id);
    expect(d.ops).toEqual([]);
    const meta = await deps.store.get(input.id);
    expect(meta).toMatchObject({ mail_from: 'sender@partner.example', rcpt_to: ['user@example.net'], rcpt_params: [{ notify: ['FAILURE'] }], verdict: d.report.inspection?.verdict });
    expect(meta?.subject).toBe(d.report.inspection?.headers.subject);
    expect(meta?.subject).not.toBe('');
    expect((await deps.store.raw(input.id))?.equals(input.message)).toBe(true);
  });

  it('quarantine by the ingress (milter hold queue, scan): nothing stored, same decision', async () => {
    const deps = depsFor({}, { quarantine: 'ingress' });
    const d = await filterMessage(inputOf(sample('03-zipped-macro.eml')), deps);
    expect(d).toMatchObject({ kind: 'quarantined', stored: false });
  });

  it('quarantine into a store that cannot be written: 451 4.3.0, the sender keeps the message', async () => {
    const deps = depsFor();
    // The store's temp directory breaks under the running daemon (a failing or full disk).
    const dir = deps.store.dir;
    rmSync(path.join(dir, 'tmp'), { recursive: true });
    writeFileSync(path.join(dir, 'tmp'), 'not a directory');
    const d = await filterMessage(inputOf(sample('03-zipped-macro.eml')), deps);
    expect(d.kind === 'refuse' && d.reply.toString()).toBe('451 4.3.0 Cannot store the message, try again later');
    expect(d.report.failure).toBe('quarantine');
  });

  it('reject and tempfail rules: the one reply, the category text, nothing relayed', async () => {
    const reject = await filterMessage(inputOf(sample('03-zipped-macro.eml')), depsFor({ policy: { rules: [{ detector: 'macro', action: 'reject' }] } }));
    expect(reject.kind === 'refuse' && reject.reply.toString()).toBe('550 5.7.1 Office documents with macros are not accepted');
    const tempfail = await filterMessage(inputOf(sample('03-zipped-macro.eml')), depsFor({ policy: { rules: [{ detector: 'macro', action: 'tempfail', reply: 'Held for review' }] } }));
    expect(tempfail.kind === 'refuse' && tempfail.reply.toString()).toBe('451 4.7.1 Held for review');
  });

  it('an allow-listed sender passes whatever the findings, by the From address read during inspection', async () => {
    const message = sample('03-zipped-macro.eml');
    const from = (await filterMessage(inputOf(message), depsFor({}, { quarantine: 'ingress' }))).report.inspection?.headers.from[0];
    expect(from).toBeTruthy();
    const d = await filterMessage(inputOf(message, 'other@elsewhere.example'), depsFor({ policy: { allow: { senders: [from] } } }));
    expect(d.kind === 'relay' && d.action).toEqual({ kind: 'pass', reason: 'allowlisted sender' });
  });

  it('a header block over 1 MiB is refused (554 5.6.0) when the message would be relayed: forged fields may hide in it', async () => {
    const message = Buffer.concat([Buffer.from(`Subject: big\r\nX-Pad: ${'a'.repeat(1024 * 1024 + 10)}\r\n\r\nbody\r\n`)]);
    const d = await filterMessage(inputOf(message), depsFor({ policy: { rules: [{ verdict: ['unscannable'], action: 'pass' }] } }));
    expect(d.kind === 'refuse' && d.reply.toString()).toBe('554 5.6.0 Message header too large');
  });

  it('the inspector saturated or failed: 451 4.3.2 and 451 4.3.0, and no verdict is made up', async () => {
    const stub = (outcome: InspectionOutcome): Inspector => ({ inspect: async () => outcome, ready: async () => undefined, reconfigure: () => undefined, close: async () => undefined });
    const busy = await filterMessage(inputOf(sample('01-clean-japanese.eml')), depsFor({}, { inspector: stub({ kind: 'busy' }) }));
    expect(busy.kind === 'refuse' && busy.reply.toString()).toBe('451 4.3.2 Too busy to inspect the message, try again later');
    expect(busy.report.inspection).toBeUndefined();
    const crashed = await filterMessage(inputOf(sample('01-clean-japanese.eml')), depsFor({}, { inspector: stub({ kind: 'failed', reason: 'memory', detail: 'x' }) }));
    expect(crashed.kind === 'refuse' && crashed.reply.toString()).toBe('451 4.3.0 Internal error, try again later');
    expect(crashed.report.failure).toBe('memory');
  });

  it('counts every inspected message in the metrics once, by ingress, verdict and action', async () => {
    const deps = depsFor({}, { ingress: 'milter', quarantine: 'ingress' });
    await filterMessage(inputOf(sample('01-clean-japanese.eml')), deps);
    await filterMessage(inputOf(sample('03-zipped-macro.eml')), deps);
    const text = await deps.metrics!.registry.metrics();
    expect(text).toMatch(/sekisho_messages_total\{ingress="milter",verdict="clean",action="pass"\} 1/);
    expect(text).toMatch(/sekisho_messages_total\{ingress="milter",verdict="[a-z]+",action="quarantine"\} 1/);
  });
});
