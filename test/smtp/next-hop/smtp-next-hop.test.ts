import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load-config.js';
import { RelayClient, type RelayClientOptions } from '../../../src/smtp/next-hop/relay-client.js';
import { merge, proxyConfig, relayFixture } from '../../helpers/proxy-harness.js';
import { deliver, SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { TestSink } from '../../helpers/test-sink.js';

const MESSAGE = Buffer.from('Subject: cache\r\n\r\nhello\r\n');

function options(port: number): RelayClientOptions {
  return { host: '127.0.0.1', port, heloName: 'sekisho.test', connectTimeoutMs: 1000, commandTimeoutMs: 1000, dataTimeoutMs: 1000, tls: { starttls: 'never', verify: true } };
}

describe('relay client', () => {
  let sink: TestSink | undefined;
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
  });

  it('stays usable after a transaction: no timer of a past reply fires later', async () => {
    sink = await TestSink.start();
    const client = await RelayClient.open(options(sink.port));
    for (let i = 0; i < 2; i++) {
      expect((await client.command('MAIL FROM:<s@example.com>')).code).toBe(250);
      expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
      expect((await client.command('DATA')).code).toBe(354);
      expect((await client.sendMessage(MESSAGE)).code).toBe(250);
      // Well past the command and data timeouts (1 s) while idle.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(client.alive).toBe(true);
    }
    expect((await client.command('NOOP')).code).toBe(250);
    await client.quit();
    expect(sink.messages).toHaveLength(2);
  });

  it('pipelines with PIPELINING and gives the replies in order', async () => {
    sink = await TestSink.start({ rcptReply: (a) => (a === 'no@example.net' ? '550 5.1.1 no' : '250 2.1.5 Ok') });
    const client = await RelayClient.open(options(sink.port));
    const replies = await client.pipeline(['MAIL FROM:<s@example.com>', 'RCPT TO:<no@example.net>', 'RCPT TO:<yes@example.net>']);
    expect(replies.map((r) => r.toString())).toEqual(['250 2.1.0 Ok', '550 5.1.1 no', '250 2.1.5 Ok']);
    await client.quit();
  });
});

describe('next-hop connection cache', () => {
  const relay = relayFixture();

  it('reuses one next-hop connection for successive client connections, with XFORWARD for each', async () => {
    const { sink, proxy } = await relay.start();
    for (let i = 0; i < 5; i++) expect(await deliver(proxy.port, `s${i}@example.com`, ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(1);
    expect(sink.messages).toHaveLength(5);
    const ports = sink.messages.map((m) => /PORT=(\d+)/.exec(m.xforward[0] ?? '')?.[1]);
    expect(new Set(ports).size).toBe(5); // each transaction told the next hop its own client
  });

  it('closes cached connections after the idle timeout', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { upstream_cache: { idle_timeout: '200ms' } } });
    expect(await deliver(proxy.port, 's@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sink.commands.at(-1)).toBe('QUIT');
    expect(await deliver(proxy.port, 's@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(2);
  });

  it.each([['reset'], ['421']] as const)('a cached connection the next hop dropped (%s at MAIL) is replaced transparently', async (stale) => {
    const { sink, proxy } = await relay.start({ staleAfterTransaction: stale });
    for (let i = 0; i < 3; i++) expect(await deliver(proxy.port, `s${i}@example.com`, ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.messages.map((m) => m.mailFrom)).toEqual(['s0@example.com', 's1@example.com', 's2@example.com']);
    expect(sink.connections).toBe(3);
  });

  it('after the next hop refused the end of data, the cached connection is RSET before reuse (Postfix keeps the transaction)', async () => {
    const { sink, proxy } = await relay.start({ faultFor: (from) => (from === 'refused@example.com' ? 'reject-data' : undefined) });
    expect(await deliver(proxy.port, 'refused@example.com', ['r@example.net'], MESSAGE)).toBe(554);
    expect(await deliver(proxy.port, 'next@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(1);
    const mailAt = sink.commands.findIndex((c) => c === 'MAIL FROM:<next@example.com>');
    expect(sink.commands.slice(0, mailAt)).toContain('RSET');
    expect(sink.messages.map((m) => m.mailFrom)).toEqual(['next@example.com']);
  });

  it('a reload that leaves the next hop as it was keeps its cached connections; changing it opens new ones', async () => {
    const { sink, proxy } = await relay.start();
    expect(await deliver(proxy.port, 'a@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    proxy.daemon.reload(validateConfig('test.yaml', merge(proxyConfig(sink.url), { log: { level: 'warn' } })));
    expect(await deliver(proxy.port, 'b@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(1);
    proxy.daemon.reload(validateConfig('test.yaml', merge(proxyConfig(sink.url), { smtp: { timeouts: { upstream_command: '3s' } } })));
    expect(await deliver(proxy.port, 'c@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(2);
  });

  it('max_idle 0 turns the cache off: one next-hop connection per client connection', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { upstream_cache: { max_idle: 0 } } });
    for (let i = 0; i < 3; i++) expect(await deliver(proxy.port, `s${i}@example.com`, ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last QUIT is sent after the client left
    expect(sink.commands.filter((c) => c === 'QUIT')).toHaveLength(3);
  });

  it('a transaction the client abandoned is reset before the connection is reused', async () => {
    const { sink, proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO c.example');
    await client.command('MAIL FROM:<abandoned@example.com>');
    await client.command('RCPT TO:<r@example.net>');
    client.destroy(); // gone without RSET or QUIT
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await deliver(proxy.port, 'next@example.com', ['r@example.net'], MESSAGE)).toBe(250);
    expect(sink.connections).toBe(1);
    expect(sink.commands).toContain('RSET');
    expect(sink.messages.map((m) => m.mailFrom)).toEqual(['next@example.com']);
  });
});
