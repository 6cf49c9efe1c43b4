import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';

/** The command line of a running process, as the kernel has it. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('bin/sekisho (the launcher admins start the daemon with)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('execs node with the start-up V8 flags: the PID, the signals and the exit status are the daemon’s own', async () => {
    const sink = await TestSink.start();
    const daemon = DaemonProcess.start(`smtp:\n  listen: 127.0.0.1:0\n  upstream: ${sink.url}\n`, { launcher: true });
    cleanup.push(() => daemon.kill(), () => sink.stop());
    const port = await daemon.port();
    const pid = daemon.proc.pid!;

    // No shell left in between: the process we started is node running dist/main.js,
    // with the flags that cannot be set once V8 runs.
    const args = cmdline(pid);
    expect(args[0]).toMatch(/node/);
    expect(args).toEqual(expect.arrayContaining(['--single-threaded-gc', '--max-semi-space-size=16', 'serve']));
    expect(args.find((a) => a.endsWith('main.js'))).toMatch(/dist\/main\.js$/);
    const [listening] = await daemon.waitFor((l) => l['event'] === 'listening');
    expect(listening!['pid']).toBe(pid);

    // It serves (collections run with these flags: a message through inspection and relay).
    const client = await SmtpTestClient.connect(port);
    await client.command('EHLO launcher.example');
    await client.command('MAIL FROM:<s@example.com>');
    await client.command('RCPT TO:<r@example.net>');
    const result = await client.data(Buffer.from('Subject: launched\r\n\r\nhello\r\n'));
    expect(result.final?.code).toBe(250);
    await client.command('QUIT');
    expect(sink.messages).toHaveLength(1);

    // SIGHUP and SIGTERM reach the daemon itself.
    daemon.signal('SIGHUP');
    await daemon.waitFor((l) => l['event'] === 'reload' && l['result'] === 'ok');
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
