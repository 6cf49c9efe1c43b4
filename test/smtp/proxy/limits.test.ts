import { describe, expect, it } from 'vitest';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

describe('limits', () => {
  const relay = relayFixture();

  it('advertises SIZE and refuses a declared SIZE over the limit at MAIL', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { max_message_bytes: 1000 } });
    const client = await SmtpTestClient.connect(proxy.port);
    expect((await client.command('EHLO c.example')).text).toContain('250-SIZE 1000');
    expect((await client.command('MAIL FROM:<s@example.com> SIZE=1001')).code).toBe(552);
    await client.quit();
    expect(sink.connections).toBe(0);
  });

  it('enforces the limit on the real stream: 552 5.3.4 after ".", nothing relayed, next hop reset', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { max_message_bytes: 1000 } });
    const client = await SmtpTestClient.connect(proxy.port);
    // No SIZE declared (or a false one): only the stream tells.
    const big = Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n`);
    const result = await client.send('s@example.com', ['r@example.net'], big);
    expect(result.data?.final?.text).toBe('552 5.3.4 Message size exceeds fixed maximum message size of 1000 bytes');
    // The connection stays usable and a message within the limit goes through.
    expect((await client.command('MAIL FROM:<s@example.com> SIZE=20')).code).toBe(250);
    expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
    expect((await client.data(Buffer.from('Subject: small\r\n\r\nok\r\n'))).final?.code).toBe(250);
    await client.quit();
    expect(sink.messages.map((m) => m.data.toString())).toEqual(['Subject: small\r\n\r\nok\r\n']);
    expect(sink.commands).toContain('RSET');
    const [tooBig] = proxy.logs.transactions();
    expect(tooBig).toMatchObject({ outcome: 'rejected', size: big.length });
  });

  const connectionLimits: Array<[string, Record<string, unknown>, RegExp]> = [
    ['max_connections', { max_connections: 2, max_connections_per_ip: 10 }, /^421 sekisho\.test Too many connected clients/],
    ['max_connections_per_ip', { max_connections_per_ip: 2, xforward_hosts: ['192.0.2.25'] }, /^421 4\.7\.0 Too many connections from your address, try again later$/],
  ];

  it.each(connectionLimits)('%s: the connection over the limit gets 421, and a freed slot is usable again', async (_key, smtp, refusal) => {
    const { proxy } = await relay.start({}, { smtp });
    const a = await SmtpTestClient.connect(proxy.port);
    const b = await SmtpTestClient.connect(proxy.port);
    const c = await SmtpTestClient.connect(proxy.port);
    expect([a.greeting.code, b.greeting.code]).toEqual([220, 220]);
    expect(c.greeting.text).toMatch(refusal);
    await c.closed();
    await a.quit();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const d = await SmtpTestClient.connect(proxy.port);
    expect(d.greeting.code).toBe(220);
    await b.quit();
    await d.quit();
  });

  it('max_connections_per_ip does not apply to a trusted MTA in front of us (xforward_hosts)', async () => {
    const { proxy } = await relay.start({}, { smtp: { max_connections_per_ip: 2, xforward_hosts: ['127.0.0.1'] } });
    const clients = await Promise.all([1, 2, 3, 4].map(() => SmtpTestClient.connect(proxy.port)));
    expect(clients.map((c) => c.greeting.code)).toEqual([220, 220, 220, 220]);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('idle timeout: a silent client gets 421 and is disconnected', async () => {
    const { proxy } = await relay.start({}, { smtp: { timeouts: { idle: '300ms' } } });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO c.example');
    const started = Date.now();
    const reply = await client.next();
    expect(reply.code).toBe(421);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await client.closed();
  });

  it('idle timeout in the middle of a transaction: nothing reaches the next hop', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { timeouts: { idle: '300ms' } } });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO c.example');
    await client.command('MAIL FROM:<s@example.com>');
    await client.command('RCPT TO:<r@example.net>');
    expect((await client.command('DATA')).code).toBe(354);
    expect((await client.next()).code).toBe(421);
    await client.closed();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sink.messages).toHaveLength(0);
    expect(proxy.logs.transactions().map((t) => t['outcome'])).toEqual(['abandoned']);
  });

  it('max_recipients: 452 for recipients over the limit', async () => {
    const { proxy } = await relay.start({}, { smtp: { max_recipients: 2 } });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO c.example');
    await client.command('MAIL FROM:<s@example.com>');
    expect((await client.command('RCPT TO:<a@example.net>')).code).toBe(250);
    expect((await client.command('RCPT TO:<b@example.net>')).code).toBe(250);
    expect((await client.command('RCPT TO:<c@example.net>')).code).toBe(452);
    await client.quit();
  });
});
