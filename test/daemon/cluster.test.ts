import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';

const yaml = (upstream: string) => `smtp:
  listen: 127.0.0.1:0
  upstream: ${upstream}
  workers: 2
  timeouts:
    shutdown_grace: 3s
`;

describe('smtp.workers', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('runs two worker processes on one port, spreads connections over them, reloads both on SIGHUP and drains on SIGTERM', async () => {
    const sink = await TestSink.start();
    const other = await TestSink.start();
    const daemon = DaemonProcess.start(yaml(sink.url));
    cleanup.push(() => daemon.kill(), () => sink.stop(), () => other.stop());

    const listening = await daemon.waitFor((l) => l['event'] === 'listening' && typeof l['smtp'] === 'string', 2);
    const workerPids = new Set(listening.map((l) => l['pid']));
    expect(workerPids.size).toBe(2);
    expect(workerPids.has(daemon.proc.pid)).toBe(false);
    const ports = new Set(listening.map((l) => l['smtp']));
    expect(ports.size).toBe(1);
    const port = await daemon.port();

    const send = async (i: number) => {
      const client = await SmtpTestClient.connect(port);
      const r = await client.send(`m${i}@example.com`, ['r@example.net'], Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`));
      await client.quit();
      expect(r.data?.final?.code).toBe(250);
    };
    for (let i = 0; i < 20; i++) await send(i);
    expect(sink.messages).toHaveLength(20);
    const served = await daemon.waitFor((l) => l['event'] === 'transaction', 20);
    expect(new Set(served.map((l) => l['pid']))).toEqual(workerPids);

    daemon.rewriteConfig(yaml(other.url));
    daemon.signal('SIGHUP');
    const reloaded = await daemon.waitFor((l) => l['event'] === 'reload' && l['result'] === 'ok' && workerPids.has(l['pid']), 2);
    expect(new Set(reloaded.map((l) => l['pid']))).toEqual(workerPids);
    for (let i = 20; i < 30; i++) await send(i);
    expect(other.messages).toHaveLength(10);

    daemon.signal('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    const drained = daemon.lines.filter((l) => l['event'] === 'drained');
    expect(new Set(drained.map((l) => l['pid']))).toEqual(workerPids);
  });

  it('a worker that dies is replaced', async () => {
    const sink = await TestSink.start();
    const daemon = DaemonProcess.start(yaml(sink.url));
    cleanup.push(() => daemon.kill(), () => sink.stop());
    const listening = await daemon.waitFor((l) => l['event'] === 'listening' && typeof l['smtp'] === 'string', 2);
    const victim = Number(listening[0]!['pid']);
    process.kill(victim, 'SIGKILL');
    await daemon.waitFor((l) => l['event'] === 'worker-exit');
    const after = await daemon.waitFor((l) => l['event'] === 'listening', 3);
    expect(after.map((l) => l['pid'])).not.toContain(undefined);
    expect(new Set(after.map((l) => l['pid'])).size).toBe(3);
    const client = await SmtpTestClient.connect(await daemon.port());
    expect((await client.send('s@example.com', ['r@example.net'], Buffer.from('Subject: x\r\n\r\ny\r\n'))).data?.final?.code).toBe(250);
    await client.quit();
    daemon.signal('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('/metrics on the primary adds up every worker; /readyz counts the workers listening', async () => {
    const sink = await TestSink.start();
    const daemon = DaemonProcess.start(`${yaml(sink.url)}admin:\n  listen: 127.0.0.1:0\n  metrics_token: cluster-metrics-token-1\n`);
    cleanup.push(() => daemon.kill(), () => sink.stop());
    const workers = await daemon.waitFor((l) => l['event'] === 'listening' && typeof l['smtp'] === 'string', 2);
    const port = await daemon.port();
    const admin = `http://127.0.0.1:${await daemon.adminPort()}`;
    // Separate connections, so that both workers serve some.
    for (let i = 0; i < 12; i++) {
      const client = await SmtpTestClient.connect(port);
      await client.send(`m${i}@example.com`, ['r@example.net'], Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`));
      await client.quit();
    }
    const served = await daemon.waitFor((l) => l['event'] === 'transaction', 12);
    expect(new Set(served.map((l) => l['pid']))).toEqual(new Set(workers.map((l) => l['pid'])));
    const text = await (await fetch(`${admin}/metrics`, { headers: { authorization: 'Bearer cluster-metrics-token-1' } })).text();
    expect(text).toContain('sekisho_messages_total{ingress="smtp",verdict="clean",action="pass"} 12');
    expect(text).toContain('sekisho_smtp_connections_total 12');
    // Build info is one process's, not the sum of three.
    expect(text).toMatch(/^sekisho_build_info\{version="[^"]+",node="[^"]+"\} 1$/m);
    const ready = (await (await fetch(`${admin}/readyz`, { headers: { authorization: 'Bearer cluster-metrics-token-1' } })).json()) as { checks: { listening: { detail: string } } };
    expect(ready.checks.listening.detail).toBe('2 of 2 workers listening');
  });
});
