import { describe, expect, it } from 'vitest';
import { relayFixture, type RunningProxy } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { DEFAULT_EXTENSIONS } from '../../helpers/test-sink.js';

const BODY = Buffer.from('Subject: envelope\r\n\r\nhi\r\n');

describe('envelope parameters and XFORWARD reach the next hop when it supports them', () => {
  const relay = relayFixture();

  async function transaction(proxy: RunningProxy, mailArgs: string, rcpts: string[], helo = 'client.example'): Promise<void> {
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command(`EHLO ${helo}`);
    expect((await client.command(`MAIL FROM:<sender@example.com>${mailArgs}`)).code).toBe(250);
    for (const r of rcpts) expect((await client.command(`RCPT TO:${r}`)).code).toBe(250);
    expect((await client.data(BODY)).final?.code).toBe(250);
    await client.quit();
  }

  it('DSN (RET, ENVID, NOTIFY, ORCPT), SIZE and BODY=8BITMIME pass through', async () => {
    const { sink, proxy } = await relay.start();
    await transaction(proxy, ' SIZE=27 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1234', ['<a@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bx@example.net', '<b@example.net> NOTIFY=NEVER']);
    const m = sink.messages[0]!;
    expect(m.mailLine).toBe('MAIL FROM:<sender@example.com> SIZE=27 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1234');
    expect(m.rcptLines).toEqual(['RCPT TO:<a@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bx@example.net', 'RCPT TO:<b@example.net> NOTIFY=NEVER']);
  });

  it('parameters of extensions the next hop lacks are dropped, not sent to be refused', async () => {
    const { sink, proxy } = await relay.start({ extensions: ['PIPELINING'] });
    await transaction(proxy, ' SIZE=27 BODY=8BITMIME RET=FULL ENVID=abc', ['<a@example.net> NOTIFY=DELAY']);
    const m = sink.messages[0]!;
    expect(m.mailLine).toBe('MAIL FROM:<sender@example.com>');
    expect(m.rcptLines).toEqual(['RCPT TO:<a@example.net>']);
    expect(m.xforward).toEqual([]);
  });

  it('SMTPUTF8 passes through with a UTF-8 address', async () => {
    const { sink, proxy } = await relay.start();
    await transaction(proxy, ' SMTPUTF8', ['<山田@例え.jp>']);
    const m = sink.messages[0]!;
    expect(m.mailLine).toBe('MAIL FROM:<sender@example.com> SMTPUTF8');
    // The domain goes as its A-label, which every server accepts; the local part stays UTF-8.
    expect(m.rcptLines).toEqual(['RCPT TO:<山田@xn--r8jz45g.jp>']);
  });

  it('a UTF-8 local part to a next hop without SMTPUTF8 is refused with 553 5.6.7 (RFC 6531)', async () => {
    const { sink, proxy } = await relay.start({ extensions: DEFAULT_EXTENSIONS.filter((e) => e !== 'SMTPUTF8') });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    expect((await client.command('MAIL FROM:<sender@example.com> SMTPUTF8')).code).toBe(250);
    expect((await client.command('RCPT TO:<山田@example.jp>')).text).toBe('553 5.6.7 Non-ASCII address, but the next hop does not support SMTPUTF8');
    expect((await client.command('RCPT TO:<yamada@例え.jp>')).code).toBe(250);
    expect((await client.data(BODY)).final?.code).toBe(250);
    await client.quit();
    expect(sink.messages[0]!.rcptLines).toEqual(['RCPT TO:<yamada@xn--r8jz45g.jp>']);
    expect(sink.messages[0]!.mailLine).toBe('MAIL FROM:<sender@example.com>');
  });

  it('punycode (xn--) domains arrive as sent, not turned into Unicode', async () => {
    const { sink, proxy } = await relay.start();
    await transaction(proxy, '', ['<support@xn--pple-43d.com>', '<user@[192.0.2.1]>']);
    expect(sink.messages[0]!.rcptLines).toEqual(['RCPT TO:<support@xn--pple-43d.com>', 'RCPT TO:<user@[192.0.2.1]>']);
  });

  it('without XFORWARD from the client, the next hop hears our peer as the client', async () => {
    const { sink, proxy } = await relay.start();
    await transaction(proxy, '', ['<a@example.net>'], 'mua.example');
    expect(sink.messages[0]!.xforward).toHaveLength(1);
    expect(sink.messages[0]!.xforward[0]).toMatch(/^XFORWARD NAME=\[UNAVAILABLE\] ADDR=127\.0\.0\.1 PORT=\d+ PROTO=ESMTP HELO=mua\.example IDENT=\[UNAVAILABLE\] SOURCE=\[UNAVAILABLE\]$/);
  });

  it('XFORWARD received from Postfix in front is passed on, and repeated for each transaction', async () => {
    const { sink, proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO postfix.example');
    expect((await client.command('XFORWARD NAME=mail.sender.example ADDR=203.0.113.7 PORT=40001 PROTO=ESMTP')).code).toBe(250);
    expect((await client.command('XFORWARD HELO=sender-helo.example IDENT=4ABC123 SOURCE=REMOTE')).code).toBe(250);
    for (let i = 0; i < 2; i++) {
      expect((await client.command('MAIL FROM:<s@example.com>')).code).toBe(250);
      expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
      expect((await client.data(BODY)).final?.code).toBe(250);
    }
    await client.quit();
    for (const m of sink.messages) {
      expect(m.xforward).toEqual(['XFORWARD NAME=mail.sender.example ADDR=203.0.113.7 PORT=40001 PROTO=ESMTP HELO=sender-helo.example IDENT=4ABC123 SOURCE=REMOTE']);
    }
    const tx = proxy.logs.transactions()[0]!;
    expect(tx['client']).toMatchObject({ ip: '203.0.113.7', name: 'mail.sender.example', helo: 'sender-helo.example', ident: '4ABC123' });
    expect(tx['peer']).toBe('127.0.0.1');
  });

  it('XFORWARD from a host not in smtp.xforward_hosts is refused', async () => {
    const { proxy } = await relay.start({}, { smtp: { xforward_hosts: ['192.0.2.99'] } });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO postfix.example');
    expect((await client.command('XFORWARD ADDR=203.0.113.7')).code).toBe(550);
    await client.quit();
  });

  it('XFORWARD with IPv6 and unavailable attributes keeps Postfix syntax', async () => {
    const { sink, proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO postfix.example');
    expect((await client.command('XFORWARD NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::25 PORT=25 PROTO=SMTP HELO=[UNAVAILABLE]')).code).toBe(250);
    expect((await client.command('MAIL FROM:<>')).code).toBe(250);
    expect((await client.command('RCPT TO:<postmaster@example.net>')).code).toBe(250);
    expect((await client.data(BODY)).final?.code).toBe(250);
    await client.quit();
    expect(sink.messages[0]!.xforward[0]).toBe('XFORWARD NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::25 PORT=25 PROTO=SMTP HELO=[UNAVAILABLE] IDENT=[UNAVAILABLE] SOURCE=[UNAVAILABLE]');
    expect(sink.messages[0]!.mailLine).toBe('MAIL FROM:<>');
  });
});
