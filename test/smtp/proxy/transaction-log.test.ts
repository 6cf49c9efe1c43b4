import { describe, expect, it } from 'vitest';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { mailOf, zipOf } from '../../helpers/wrappings.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { waitFor } from '../../helpers/processes.js';

describe('transaction log', () => {
  const relay = relayFixture();

  it('writes exactly one JSON line per transaction with who, envelope, size, verdict, replies and latency, and never the body', async () => {
    const { sink, proxy } = await relay.start({ rcptReply: (a) => (a.startsWith('gone') ? '550 5.1.1 User unknown' : '250 2.1.5 Ok') });
    const secret = 'BODY-MARKER-7f3a9c';
    const message = Buffer.from(`Subject: SUBJECT-MARKER-1b2c\r\n\r\n${secret}\r\n`);
    for (let i = 0; i < 3; i++) {
      const client = await SmtpTestClient.connect(proxy.port);
      await client.send(`s${i}@example.com`, ['r@example.net', 'gone@example.net'], message, 'helo.client.example');
      await client.quit();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = proxy.logs.transactions();
    expect(lines).toHaveLength(3);
    expect(new Set(lines.map((l) => l['tx'])).size).toBe(3);
    const line = lines[0]!;
    expect(line).toMatchObject({
      level: 'info',
      event: 'transaction',
      client: { ip: '127.0.0.1', helo: 'helo.client.example' },
      mail_from: 's0@example.com',
      rcpt: [
        { to: 'r@example.net', reply: '250 2.1.5 Ok' },
        { to: 'gone@example.net', reply: '550 5.1.1 User unknown' },
      ],
      size: message.length,
      verdict: 'clean',
      score: 0,
      action: 'pass',
      outcome: 'delivered',
      reply: '250 2.0.0 Ok: queued as Q1',
      next_hop: sink.url,
    });
    expect(line['tx']).toMatch(/^[a-z2-7]{26}$/);
    const latency = line['latency_ms'] as Record<string, number>;
    expect(latency['total']).toBeGreaterThan(0);
    expect(latency['next_hop']).toBeGreaterThan(0);
    expect(latency['next_hop']).toBeLessThanOrEqual(latency['total']!);
    for (const raw of proxy.logs.raw) {
      expect(raw).not.toContain(secret);
      expect(raw).not.toContain('SUBJECT-MARKER');
    }
  });

  it('a client that hangs up while the next hop answers "." gets one line: the next hop’s reply, marked client_gone', async () => {
    const { sink, proxy } = await relay.start({ dataReplyDelayMs: 500 });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO c.example');
    await client.command('MAIL FROM:<impatient@example.com>');
    await client.command('RCPT TO:<r@example.net>');
    void client.data(Buffer.from('Subject: impatient\r\n\r\nx\r\n')).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 700));
    // The next hop had the whole message: it was delivered, and the log says nobody heard the 250.
    expect(sink.messages).toHaveLength(1);
    const lines = proxy.logs.transactions();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', outcome: 'delivered', client_gone: true, reply: '250 2.0.0 Ok: queued as Q1' });
  });

  it('a client that hangs up in the middle of its message is an abandoned transaction, not an internal error', async () => {
    const { sink, proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    const replies: number[] = [];
    for (const line of ['EHLO c.example', 'MAIL FROM:<vanishing@example.com>', 'RCPT TO:<r@example.net>', 'DATA']) replies.push((await client.command(line)).code);
    expect(replies).toEqual([250, 250, 250, 354]);
    client.write('Subject: half\r\n\r\nthe first half of the mess');
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.destroy();
    await waitFor(() => proxy.logs.transactions().length > 0, 5000, () => 'no transaction line');
    expect(proxy.logs.transactions()).toMatchObject([{ level: 'info', outcome: 'abandoned', mail_from: 'vanishing@example.com' }]);
    // Found by the soak: this was logged at error level as "DATA handling failed".
    expect(proxy.logs.lines.filter((l) => l['level'] === 'error')).toEqual([]);
    expect(sink.messages).toHaveLength(0);
  });

  it('never writes the password a mail states for its zip, nor anything from inside the zip, even when it quarantines', async () => {
    const { proxy } = await relay.start();
    const password = 'Pw-4f81c2e9d7';
    const inner = 'INNER-CONTENT-5d2e8a';
    const zipped = zipOf([{ name: '請求書.txt', bytes: Buffer.from(inner) }], password);
    const mail = mailOf({ subject: '請求書の送付', body: `添付ファイルのパスワードは「${password}」です。`, attachments: [{ name: '請求書.zip', bytes: zipped }] });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.send('billing@partner.example', ['u@example.net'], mail);
    await client.quit();
    const [tx] = proxy.logs.transactions();
    // The zip was opened with the stated password (so the inspection saw it)…
    expect(tx?.['findings']).toEqual(['archive/encrypted-zip-opened']);
    // …and no log line says what it was, or what the zip held.
    expect(proxy.logs.raw.filter((l) => l.includes(password) || l.includes(inner) || l.includes('パスワード'))).toEqual([]);
  });
});
