import { describe, expect, it } from 'vitest';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

/**
 * Slowloris: a client that stays just active enough that the idle timeout never fires. The
 * transaction and the DATA phase have deadlines it cannot stretch, and DATA a minimum rate;
 * breaking one gets 421 and a closed connection, and nothing was acknowledged or relayed.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dripping(port: number, bytesPerTick: number, tickMs: number, maxTicks: number): Promise<{ client: SmtpTestClient; reply: string; ticks: number }> {
  const client = await SmtpTestClient.connect(port);
  await client.command('EHLO slow.example');
  await client.command('MAIL FROM:<slow@partner.example>');
  await client.command('RCPT TO:<u@example.net>');
  expect((await client.command('DATA')).code).toBe(354);
  client.write('Subject: slow\r\n\r\n');
  let ticks = 0;
  let reply: string | undefined;
  const next = client.next().then((r) => (reply = r.text), () => (reply = 'closed'));
  while (reply === undefined && ticks < maxTicks) {
    client.write('x'.repeat(bytesPerTick));
    ticks++;
    await sleep(tickMs);
  }
  if (reply === undefined) {
    client.write('\r\n.\r\n');
    await next;
  }
  return { client, reply: reply ?? 'none', ticks };
}

describe('client deadlines', () => {
  const relay = relayFixture();

  it('a DATA phase below smtp.min_data_rate after the grace gets 421 and is closed; nothing is relayed', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { min_data_rate: 1000, timeouts: { data_rate_grace: '1s' } } });
    const { client, reply, ticks } = await dripping(proxy.port, 1, 100, 100);
    expect(reply).toBe('421 4.4.2 Message data too slow, closing connection');
    expect(ticks).toBeLessThan(40);
    await client.closed();
    expect(sink.messages).toHaveLength(0);
    expect(proxy.logs.lines.find((l) => l['event'] === 'client-deadline')).toMatchObject({ breach: 'data-rate' });
    // The transaction's line comes when the DATA step unwinds, just after the client heard the 421.
    for (let i = 0; i < 100 && proxy.logs.transactions().length === 0; i++) await sleep(50);
    expect(proxy.logs.transactions().at(-1)).toMatchObject({ outcome: 'tempfailed', reason: 'data-rate', reply: '421 4.4.2 Message data too slow, closing connection' });
    expect(await proxy.metrics.registry.getSingleMetricAsString('sekisho_smtp_client_deadlines_total')).toContain('{breach="data-rate"} 1');
  });

  it('a DATA phase past smtp.timeouts.data gets 421 however fast it drips', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { min_data_rate: 0, timeouts: { data: '1500ms' } } });
    const { reply, ticks } = await dripping(proxy.port, 100, 100, 100);
    expect(reply).toBe('421 4.4.2 Message took too long to send, closing connection');
    expect(ticks).toBeLessThan(40);
    expect(sink.messages).toHaveLength(0);
  });

  it('a transaction past smtp.timeouts.transaction gets 421, even kept busy with NOOPs', async () => {
    const { proxy } = await relay.start({}, { smtp: { timeouts: { transaction: '1s' } } });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO slow.example');
    expect((await client.command('MAIL FROM:<slow@partner.example>')).code).toBe(250);
    let last = '';
    for (let i = 0; i < 30 && !last.startsWith('421'); i++) {
      last = (await client.command('NOOP').catch(() => ({ text: 'closed' }))).text;
      if (last === 'closed') break;
      await sleep(100);
    }
    expect(last).toBe('421 4.4.2 Transaction took too long, closing connection');
    await client.closed();
    expect(proxy.logs.lines.find((l) => l['event'] === 'client-deadline')).toMatchObject({ breach: 'transaction-deadline' });
  });

  it('a slow but steady client above the rate, within the deadlines, gets its 250', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { min_data_rate: 500, timeouts: { data_rate_grace: '1s', data: '10s' } } });
    const { client, reply } = await dripping(proxy.port, 200, 100, 25);
    expect(reply).toMatch(/^250 /);
    await client.quit();
    expect(sink.messages).toHaveLength(1);
    expect(proxy.logs.lines.filter((l) => l['event'] === 'client-deadline')).toEqual([]);
  });
});

describe('the in-flight budget (smtp.max_inflight_bytes)', () => {
  const relay = relayFixture();

  it('a message that would take the process past it gets 451 4.3.1; the bytes come back once a transaction ends', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { max_inflight_bytes: 40_000 } });
    const client = await SmtpTestClient.connect(proxy.port);
    const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(60_000, 'y')]);
    const small = Buffer.from('Subject: small\r\n\r\nhello\r\n');
    const refused = await client.send('a@partner.example', ['u@example.net'], big);
    expect(refused.data?.final?.text).toBe('451 4.3.1 Insufficient system storage, try again later');
    for (let i = 0; i < 3; i++) expect((await client.send('a@partner.example', ['u@example.net'], small)).data?.final?.code).toBe(250);
    await client.quit();
    expect(sink.messages).toHaveLength(3);
    expect(proxy.logs.lines.find((l) => l['event'] === 'inflight-budget')).toMatchObject({ size: big.length + 2, limit: 40_000 });
    const metrics = await proxy.metrics.registry.metrics();
    expect(metrics).toContain('sekisho_inflight_refused_total 1');
    expect(metrics).toMatch(/^sekisho_inflight_bytes 0$/m);
  });
});
