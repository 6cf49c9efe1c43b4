import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../helpers/processes.js';
import { relayFixture, startProxy } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { type TransactionFault } from '../../helpers/test-sink.js';

/** Short next-hop timeouts, and "slow" (SLOW_MS) clearly past them even on a busy machine. */
const FAST_TIMEOUTS = { smtp: { timeouts: { upstream_connect: '1s', upstream_command: '1s', upstream_data: '1s' } } };
const SLOW_MS = 2500;

function message(tag: string): Buffer {
  // Longer than the sink's reset threshold (64 bytes), so a reset lands mid-content.
  return Buffer.from(`Subject: ${tag}\r\nMessage-ID: <${tag}@test>\r\n\r\n${'body line of the message\r\n'.repeat(20)}`);
}

describe('next-hop faults become 4xx and never a partial or lost message', () => {
  const relay = relayFixture();

  it('next hop down: MAIL FROM gets 451 4.4.1', async () => {
    const proxy = await startProxy(`smtp://127.0.0.1:${await freePort()}`, FAST_TIMEOUTS);
    onTestFinished(() => proxy.stop());
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    const mail = await client.command('MAIL FROM:<s@example.com>');
    expect(mail.text).toBe('451 4.4.1 Next hop not available, try again later');
    // The client may try again on the same connection.
    expect((await client.command('MAIL FROM:<s@example.com>')).code).toBe(451);
    await client.quit();
    const [tx] = proxy.logs.transactions();
    expect(tx!['outcome']).toBe('tempfailed');
    expect(String(tx!['next_hop_error'])).toMatch(/^connect: cannot connect/);
  });

  it('next hop greets and hangs up: 451 4.4.x', async () => {
    const { proxy } = await relay.start({ closeAfterGreeting: true }, FAST_TIMEOUTS);
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    expect((await client.command('MAIL FROM:<s@example.com>')).text).toMatch(/^451 4\.4\.[12] /);
    await client.quit();
  });

  it('next hop slow to answer RCPT past the command timeout: 451 4.4.2, nothing delivered', async () => {
    const { sink, proxy } = await relay.start({ faultFor: () => 'slow-rcpt', slowMs: SLOW_MS }, FAST_TIMEOUTS);
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    expect((await client.command('MAIL FROM:<s@example.com>')).code).toBe(250);
    expect((await client.command('RCPT TO:<r@example.net>')).text).toBe('451 4.4.2 Next hop connection failed, try again later');
    await client.quit();
    expect(sink.messages).toHaveLength(0);
  });

  it('next hop slow to answer the final "." past the data timeout: 451, the sink holds nothing', async () => {
    const { sink, proxy } = await relay.start({ faultFor: () => 'slow-final-reply', slowMs: SLOW_MS }, FAST_TIMEOUTS);
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('s@example.com', ['r@example.net'], message('slow'));
    expect(result.data?.final?.text).toBe('451 4.4.2 Next hop connection failed, try again later');
    await client.quit();
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 200));
    expect(sink.messages).toHaveLength(0);
  });

  it('next hop resets the connection mid-DATA: 451, no partial message at the sink', async () => {
    const { sink, proxy } = await relay.start({ faultFor: () => 'reset-in-data' }, FAST_TIMEOUTS);
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('s@example.com', ['r@example.net'], message('reset'));
    expect(result.data?.final?.code).toBe(451);
    expect(result.data?.final?.text).toMatch(/^451 4\.4\.2 /);
    // The same client connection carries on with a fresh next-hop connection.
    sink.behaviour = {};
    expect((await client.command('MAIL FROM:<s@example.com>')).code).toBe(250);
    expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
    expect((await client.data(message('after-reset'))).final?.code).toBe(250);
    await client.quit();
    expect(sink.messages.map((m) => m.data.toString())).toEqual([message('after-reset').toString()]);
  });

  it('next hop 4xx and 5xx to the final "." are passed through as they are', async () => {
    const faults: Record<string, TransactionFault> = { 'tf@example.com': 'tempfail-data', 'rj@example.com': 'reject-data' };
    const { sink, proxy } = await relay.start({ faultFor: (from) => faults[from] }, FAST_TIMEOUTS);
    const a = await SmtpTestClient.connect(proxy.port);
    expect((await a.send('tf@example.com', ['r@example.net'], message('tf'))).data?.final?.text).toBe('451 4.3.0 Error: queue file write error');
    await a.quit();
    const b = await SmtpTestClient.connect(proxy.port);
    expect((await b.send('rj@example.com', ['r@example.net'], message('rj'))).data?.final?.text).toBe('554 5.7.1 Rejected by sink');
    await b.quit();
    expect(sink.messages).toHaveLength(0);
  });

  it('a run of mixed faults: every message that got 250 is at the sink, and only those', async () => {
    const kinds: Array<TransactionFault | undefined> = [undefined, 'reset-in-data', undefined, 'slow-final-reply', 'close-at-data', undefined, 'slow-rcpt', 'tempfail-data', undefined, 'reject-data'];
    // Deterministic shuffle: fault of message i.
    const faultOf = (i: number) => kinds[(i * 7 + 3) % kinds.length];
    const { sink, proxy } = await relay.start({ faultFor: (from) => faultOf(Number(/^m(\d+)@/.exec(from)?.[1])), slowMs: SLOW_MS }, FAST_TIMEOUTS);
    const total = 120;
    const acknowledged = new Set<string>();
    const codes = new Map<number, number>();
    const sendOne = async (i: number) => {
      const client = await SmtpTestClient.connect(proxy.port);
      try {
        const r = await client.send(`m${i}@example.com`, ['r@example.net'], message(`m${i}`));
        const code = r.data?.final?.code ?? r.rcpt[0]?.code ?? r.mail.code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (code === 250) acknowledged.add(`m${i}`);
      } finally {
        await client.quit();
      }
    };
    // 12 clients at a time.
    for (let start = 0; start < total; start += 12) {
      await Promise.all(Array.from({ length: 12 }, (_, k) => sendOne(start + k)));
    }
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 200)); // let slow replies fire into closed sockets
    const atSink = new Set(sink.messages.map((m) => /Subject: (m\d+)/.exec(m.data.toString())?.[1] ?? '?'));
    expect([...atSink].sort()).toEqual([...acknowledged].sort());
    // Every non-250 was a temporary or permanent refusal, never silence.
    expect([...codes.keys()].sort()).toEqual([250, 451, 554]);
    expect(acknowledged.size).toBe((total / kinds.length) * kinds.filter((k) => k === undefined).length);
    // Every delivered message is byte-identical.
    for (const m of sink.messages) {
      const tag = /Subject: (m\d+)/.exec(m.data.toString())?.[1] ?? '';
      expect(m.data.equals(message(tag))).toBe(true);
    }
  });
});
