import { describe, expect, it } from 'vitest';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

const MESSAGE = Buffer.from('Subject: per-recipient\r\n\r\nhello\r\n');

describe('per-recipient replies', () => {
  const relay = relayFixture();

  it('passes a 550 for one recipient through and delivers to the others only', async () => {
    const { sink, proxy } = await relay.start({
      rcptReply: (a) => (a === 'nobody@example.net' ? '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown' : '250 2.1.5 Ok'),
    });
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('sender@example.com', ['alice@example.net', 'nobody@example.net', 'bob@example.net'], MESSAGE);
    await client.quit();

    expect(result.rcpt.map((r) => r.code)).toEqual([250, 550, 250]);
    // Code, enhanced code and text are the next hop's, unchanged.
    expect(result.rcpt[1]!.text).toBe('550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown');
    expect(result.data?.final?.code).toBe(250);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.rcptTo).toEqual(['alice@example.net', 'bob@example.net']);

    const [tx] = proxy.logs.transactions();
    expect(tx!['rcpt']).toEqual([
      { to: 'alice@example.net', reply: '250 2.1.5 Ok' },
      { to: 'nobody@example.net', reply: '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown' },
      { to: 'bob@example.net', reply: '250 2.1.5 Ok' },
    ]);
  });

  it('accepted MAIL and RCPT get the next hop’s own reply too, 251 and multi-line replies included', async () => {
    const { sink, proxy } = await relay.start({
      mailReply: () => '250 2.1.0 Sender <s@example.com> ok',
      rcptReply: (a) =>
        a === 'moved@example.net'
          ? '251 2.1.5 User not local; will forward to <new@example.org>'
          : a === 'policy@example.net'
            ? '550-5.7.1 Recipient refused by policy.\r\n550-5.7.1 See https://postmaster.example.net/\r\n550 5.7.1 for details.'
            : '250 2.1.5 Recipient <ok@example.net> ok',
    });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    expect((await client.command('MAIL FROM:<s@example.com>')).text).toBe('250 2.1.0 Sender <s@example.com> ok');
    expect((await client.command('RCPT TO:<ok@example.net>')).text).toBe('250 2.1.5 Recipient <ok@example.net> ok');
    expect((await client.command('RCPT TO:<moved@example.net>')).text).toBe('251 2.1.5 User not local; will forward to <new@example.org>');
    expect((await client.command('RCPT TO:<policy@example.net>')).text).toBe(
      '550-5.7.1 Recipient refused by policy.\n550-5.7.1 See https://postmaster.example.net/\n550 5.7.1 for details.',
    );
    // smtp-server's own replies are untouched by any of this.
    expect((await client.command('NOOP')).text).toBe('250 OK');
    expect((await client.data(MESSAGE)).final?.text).toBe('250 2.0.0 Ok: queued as Q1');
    await client.quit();
    expect(sink.messages[0]!.rcptTo).toEqual(['ok@example.net', 'moved@example.net']);
  });

  it('passes 4xx recipient replies through as 4xx', async () => {
    const { sink, proxy } = await relay.start({ rcptReply: (a) => (a.startsWith('greylist') ? '450 4.2.0 <greylist@example.net>: Recipient address rejected: Greylisted' : '250 2.1.5 Ok') });
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('sender@example.com', ['greylist@example.net', 'ok@example.net'], MESSAGE);
    await client.quit();
    expect(result.rcpt[0]!.text).toBe('450 4.2.0 <greylist@example.net>: Recipient address rejected: Greylisted');
    expect(sink.messages[0]!.rcptTo).toEqual(['ok@example.net']);
  });

  it('when every recipient is refused, DATA is refused and nothing arrives', async () => {
    const { sink, proxy } = await relay.start({ rcptReply: () => '550 5.7.1 Relay access denied' });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    expect((await client.command('MAIL FROM:<s@example.com>')).code).toBe(250);
    expect((await client.command('RCPT TO:<x@example.org>')).text).toBe('550 5.7.1 Relay access denied');
    expect((await client.command('DATA')).code).toBe(503);
    await client.quit();
    expect(sink.messages).toHaveLength(0);
  });

  it('passes a MAIL FROM refusal and the final DATA reply through unchanged', async () => {
    const { sink, proxy } = await relay.start({
      mailReply: (line) => (line.includes('spammer') ? '553 5.7.1 <spammer@example.com>: Sender address rejected: Access denied' : '250 2.1.0 Ok'),
      dataReply: (m) => (m.data.includes('virus') ? '554 5.7.1 Message content rejected' : '250 2.0.0 Ok: queued as ABC123'),
    });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    expect((await client.command('MAIL FROM:<spammer@example.com>')).text).toBe('553 5.7.1 <spammer@example.com>: Sender address rejected: Access denied');
    expect((await client.command('MAIL FROM:<ok@example.com>')).code).toBe(250);
    expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
    const refused = await client.data(Buffer.from('Subject: x\r\n\r\nvirus\r\n'));
    expect(refused.final?.text).toBe('554 5.7.1 Message content rejected');
    // A second transaction on the same connection, next hop connection reused.
    expect((await client.command('MAIL FROM:<ok@example.com>')).code).toBe(250);
    expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
    const accepted = await client.data(MESSAGE);
    expect(accepted.final?.text).toBe('250 2.0.0 Ok: queued as ABC123');
    await client.quit();
    expect(sink.messages).toHaveLength(1);
    expect(sink.connections).toBe(1);
  });

  it('relays several transactions per connection, and RSET abandons one without sending it', async () => {
    const { sink, proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO client.example');
    for (let i = 0; i < 3; i++) {
      expect((await client.command(`MAIL FROM:<s${i}@example.com>`)).code).toBe(250);
      expect((await client.command('RCPT TO:<r@example.net>')).code).toBe(250);
      if (i === 1) {
        expect((await client.command('RSET')).code).toBe(250);
        continue;
      }
      expect((await client.data(Buffer.from(`Subject: ${i}\r\n\r\nbody ${i}\r\n`))).final?.code).toBe(250);
    }
    await client.quit();
    expect(sink.messages.map((m) => m.mailFrom)).toEqual(['s0@example.com', 's2@example.com']);
    // The abandoned transaction was reset at the next hop before the next MAIL.
    expect(sink.commands.filter((c) => c === 'RSET')).toHaveLength(1);
    const outcomes = proxy.logs.transactions().map((t) => t['outcome']);
    expect(outcomes).toEqual(['delivered', 'abandoned', 'delivered']);
  });
});
