import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';

const yaml = (upstream: string, extra = '') => `smtp:
  listen: 127.0.0.1:0
  upstream: ${upstream}
  timeouts:
    upstream_data: 10s
    shutdown_grace: 4s
${extra}`;

const MESSAGE = Buffer.from('Subject: signals\r\n\r\nhello\r\n');

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('signals', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('SIGTERM: stops accepting, 421 to idle clients, finishes the transaction in flight with the next hop’s 250, exits 0', async () => {
    const sink = await TestSink.start({ dataReplyDelayMs: 1500 });
    const daemon = DaemonProcess.start(yaml(sink.url));
    cleanup.push(() => daemon.kill(), () => sink.stop());
    const port = await daemon.port();

    const idle = await SmtpTestClient.connect(port);
    await idle.command('EHLO idle.example');
    const busy = await SmtpTestClient.connect(port);
    await busy.command('EHLO busy.example');
    await busy.command('MAIL FROM:<s@example.com>');
    await busy.command('RCPT TO:<r@example.net>');
    const inFlight = busy.data(MESSAGE);
    // The message is at the next hop, whose reply is 1.5 s away, when SIGTERM arrives.
    await new Promise((resolve) => setTimeout(resolve, 400));
    daemon.signal('SIGTERM');

    expect((await idle.next()).text).toBe('421 4.3.2 Service shutting down, try again later');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await connectRefused(port)).toBe(true);
    const result = await inFlight;
    expect(result.final?.text).toMatch(/^250 2\.0\.0 Ok: queued as Q1$/);
    await busy.closed();
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(sink.messages).toHaveLength(1);
  });

  it('SIGTERM: after the grace period a message still being sent is cut with 421; one already whole gets the next hop’s reply, never a 421 after it; exit 0', async () => {
    // The sink answers the final "." 3 s after it has the message; the grace is 1 s.
    const sink = await TestSink.start({ dataReplyDelayMs: 3000 });
    const daemon = DaemonProcess.start(yaml(sink.url).replace('shutdown_grace: 4s', 'shutdown_grace: 1s'));
    cleanup.push(() => daemon.kill(), () => sink.stop());
    const port = await daemon.port();

    const sending = await SmtpTestClient.connect(port);
    await sending.command('EHLO sending.example');
    await sending.command('MAIL FROM:<s@example.com>');
    await sending.command('RCPT TO:<r@example.net>');
    expect((await sending.command('DATA')).code).toBe(354);
    sending.write('Subject: half\r\n\r\nthe first half, and the rest never comes');

    const whole = await SmtpTestClient.connect(port);
    await whole.command('EHLO whole.example');
    await whole.command('MAIL FROM:<s@example.com>');
    await whole.command('RCPT TO:<r@example.net>');
    const inFlight = whole.data(MESSAGE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    daemon.signal('SIGTERM');

    // Cut at the grace: nothing was taken, the client keeps its message and retries.
    expect((await sending.next()).code).toBe(421);
    // At the next hop when the grace ends: a 421 now would make the client send it again.
    const result = await inFlight;
    expect(result.final?.text).toMatch(/^250 2\.0\.0 Ok: queued as Q1$/);
    expect(sink.messages).toHaveLength(1);
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });

  it('SIGHUP: a good new config applies to new connections without dropping open ones; a bad one is refused and the old kept', async () => {
    const first = await TestSink.start();
    const second = await TestSink.start();
    const daemon = DaemonProcess.start(yaml(first.url));
    cleanup.push(() => daemon.kill(), () => first.stop(), () => second.stop());
    const port = await daemon.port();

    const open = await SmtpTestClient.connect(port);
    await open.command('EHLO open.example');

    daemon.rewriteConfig(yaml(second.url));
    daemon.signal('SIGHUP');
    await daemon.waitFor((l) => l['event'] === 'reload' && l['result'] === 'ok');

    // The connection opened before the reload is still there and still works.
    expect((await open.command('MAIL FROM:<old@example.com>')).code).toBe(250);
    expect((await open.command('RCPT TO:<r@example.net>')).code).toBe(250);
    expect((await open.data(MESSAGE)).final?.code).toBe(250);
    // New connections use the new next hop.
    const fresh = await SmtpTestClient.connect(port);
    expect((await fresh.send('new@example.com', ['r@example.net'], MESSAGE)).data?.final?.code).toBe(250);
    await fresh.quit();
    expect(first.messages.map((m) => m.mailFrom)).toEqual(['old@example.com']);
    expect(second.messages.map((m) => m.mailFrom)).toEqual(['new@example.com']);

    daemon.rewriteConfig(`${yaml(first.url)}  bogus_key: 1\n`);
    daemon.signal('SIGHUP');
    const [refused] = await daemon.waitFor((l) => l['event'] === 'reload' && l['result'] === 'refused');
    expect(refused!['problems']).toEqual(['smtp.bogus_key: unknown key']);
    const after = await SmtpTestClient.connect(port);
    expect((await after.send('kept@example.com', ['r@example.net'], MESSAGE)).data?.final?.code).toBe(250);
    await after.quit();
    expect(second.messages.map((m) => m.mailFrom)).toEqual(['new@example.com', 'kept@example.com']);
    // The connection from before both reloads is still open.
    expect((await open.command('NOOP')).code).toBe(250);
    await open.quit();
  });
});
