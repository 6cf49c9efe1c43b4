import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

/**
 * One hostile mail must never stall the checkpoint: inspection runs in worker threads, a
 * worker busy past the time budget is stopped from outside, a worker that dies fails only
 * its message, and a full queue tempfails instead of piling up. The faults are made by the
 * test-only header X-Sekisho-Test-Fault (obeyed only with SEKISHO_TEST_FAULTS=1): `hang` is
 * a CPU-bound stall like the superlinear scans of issue 9, inside the worker.
 */

const clean = readFileSync(path.resolve(__dirname, '../../../samples/01-clean-japanese.eml'));
const body = clean.subarray(clean.indexOf('\r\n\r\n') + 2);
const mail = (id: string, extra = '') => Buffer.concat([Buffer.from(`${extra}Message-ID: <${id}@test.example>\r\nSubject: ${id}\r\nFrom: a@partner.example\r\n`), body]);
const hostile = (id: string, fault = 'hang') => mail(id, `X-Sekisho-Test-Fault: ${fault}\r\n`);

beforeAll(() => {
  process.env['SEKISHO_TEST_FAULTS'] = '1';
});

async function send(port: number, message: Buffer): Promise<number | undefined> {
  const client = await SmtpTestClient.connect(port);
  const result = await client.send('a@partner.example', ['u@example.net'], message);
  await client.quit();
  return result.data?.final?.code;
}

describe('hostile mail and the inspection pool', () => {
  const relay = relayFixture();

  it('while a message stalls its worker, other clients are relayed and /healthz answers; the stalled one gets the unscannable answer', async () => {
    const { sink, proxy } = await relay.start({}, { inspect: { threads: 2, time_budget: '3s' }, admin: { listen: '127.0.0.1:0' } });
    const order: string[] = [];
    const stalled = send(proxy.port, hostile('stalled')).then((code) => {
      order.push('hostile answered');
      return code;
    });
    // Let the hostile message reach its worker first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const relayed = await send(proxy.port, mail('innocent'));
    order.push('clean relayed');
    const health = await fetch(`http://127.0.0.1:${proxy.daemon.adminAddress?.port}/healthz`);
    order.push(`healthz ${health.status}`);
    expect(relayed).toBe(250);
    expect(await stalled).toBe(250);
    expect(order).toEqual(['clean relayed', 'healthz 200', 'hostile answered']);
    // The default policy quarantines what could not be scanned; the next hop saw only the clean one.
    expect(sink.messages.map((m) => m.data.toString('latin1').match(/Subject: (\w+)/)?.[1])).toEqual(['innocent']);
    const hostileLine = proxy.logs.transactions().find((t) => t['message_id'] === 'stalled@test.example');
    expect(hostileLine).toMatchObject({ verdict: 'unscannable', findings: ['limits/time'], action: 'quarantine', outcome: 'quarantined' });
    expect(await proxy.metrics.registry.metrics()).toMatch(/sekisho_inspect_worker_restarts_total\{reason="deadline"\} 1/);
  });

  it('a worker that crashes tempfails its own message (451 4.3.0); the next message is inspected and relayed', async () => {
    const { sink, proxy } = await relay.start({}, { inspect: { threads: 1 } });
    const client = await SmtpTestClient.connect(proxy.port);
    const crashed = await client.send('a@partner.example', ['u@example.net'], hostile('crashed', 'crash'));
    expect(crashed.data?.final?.text).toBe('451 4.3.0 Internal error, try again later');
    const after = await client.send('a@partner.example', ['u@example.net'], mail('after'));
    await client.quit();
    expect(after.data?.final?.code).toBe(250);
    expect(sink.messages).toHaveLength(1);
    expect(proxy.logs.transactions().map((t) => [t['message_id'] ?? null, t['outcome']])).toEqual([
      [null, 'tempfailed'],
      ['after@test.example', 'delivered'],
    ]);
  });

  it('a full inspection queue answers 451 4.3.2 and loses nothing: every message that got 250 is at the sink', async () => {
    const { sink, proxy } = await relay.start({}, { inspect: { threads: 1, max_queue: 1, time_budget: '2s' } });
    const stall = send(proxy.port, hostile('blocker'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ids = Array.from({ length: 6 }, (_, i) => `m${i}`);
    const codes = await Promise.all(ids.map((id) => send(proxy.port, mail(id))));
    await stall;
    const accepted = ids.filter((_, i) => codes[i] === 250);
    const refused = ids.filter((_, i) => codes[i] === 451);
    expect(accepted.length + refused.length).toBe(ids.length);
    expect(refused.length).toBeGreaterThan(0);
    const atSink = sink.messages.map((m) => m.data.toString('latin1').match(/Message-ID: <(\w+)@/)?.[1]);
    expect(atSink.sort()).toEqual(accepted.sort());
    const busy = proxy.logs.transactions().filter((t) => String(t['reply']).startsWith('451 4.3.2'));
    expect(busy).toHaveLength(refused.length);
    expect(await proxy.metrics.registry.metrics()).toMatch(new RegExp(`sekisho_inspect_queue_full_total ${refused.length}`));
  });
});
