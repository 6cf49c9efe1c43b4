import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandMail } from '../helpers/brand-mail.js';
import { relayFixture } from '../helpers/proxy-harness.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { requireTool } from '../helpers/tools.js';

const MAILS = path.resolve(__dirname, '../fixtures/mail-spamassassin/olevbmacro');
const TOKEN = 'kanri-3f9a7c1e5b2d';

/** Value of one series in Prometheus text, 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('GET /metrics, /healthz, /readyz on the admin port', () => {
  const relay = relayFixture();

  it('counts messages by verdict and action, findings, brands, replies and the quarantine; promtool accepts it', async () => {
    const { proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
    const base = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}`;
    const client = await SmtpTestClient.connect(proxy.port);
    await client.send('a@example.org', ['u@example.net'], Buffer.from('Subject: hello\r\n\r\nclean\r\n'));
    await client.send('b@example.org', ['u@example.net'], brandMail({ from: 'Amazon.co.jp <x@mailer.example>', text: 'x' }));
    await client.send('c@example.org', ['u@example.net'], readFileSync(path.join(MAILS, 'malicemacro.eml')));
    await client.send('d@example.org', ['nobody@example.net'], Buffer.from('Subject: x\r\n\r\ny\r\n'));
    await client.quit();

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(value(text, 'sekisho_messages_total{ingress="smtp",verdict="clean",action="pass"}')).toBe(2);
    expect(value(text, 'sekisho_messages_total{ingress="smtp",verdict="suspicious",action="tag"}')).toBe(1);
    expect(value(text, 'sekisho_messages_total{ingress="smtp",verdict="suspicious",action="quarantine"}')).toBe(1);
    expect(value(text, 'sekisho_findings_total{detector="brand",code="display-name"}')).toBe(1);
    expect(value(text, 'sekisho_brand_impersonations_total{brand="amazon"}')).toBe(1);
    expect(value(text, 'sekisho_smtp_connections_total')).toBe(1);
    expect(value(text, 'sekisho_smtp_replies_total{stage="data",class="2xx"}')).toBe(4);
    expect(value(text, 'sekisho_smtp_replies_total{stage="rcpt",class="2xx"}')).toBe(4);
    // The file store's label names node and directory by a hash: no path on an open endpoint.
    const store = /^sekisho_quarantine_messages\{store="([^"]+)"\}/m.exec(text)?.[1];
    expect(store).toMatch(/^[0-9a-f]{12}$/);
    expect(value(text, `sekisho_quarantine_messages{store="${store}"}`)).toBe(1);
    expect(value(text, `sekisho_quarantine_bytes{store="${store}"}`)).toBeGreaterThan(10_000);
    expect(value(text, 'sekisho_scan_duration_seconds_count')).toBe(4);
    expect(value(text, 'sekisho_message_size_bytes_count')).toBe(4);
    expect(value(text, 'sekisho_upstream_latency_seconds_count')).toBeGreaterThanOrEqual(9);
    expect(text).toMatch(/^sekisho_build_info\{version="test",node="v\d+\.\d+\.\d+"\} 1$/m);

    // Label values come from fixed sets: no address, domain or subject ever becomes a series.
    const labels = [...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/="([^"]*)"/g)].map((v) => v[1] ?? ''));
    expect(labels.filter((v) => v.includes('@') || /example\.(org|net)|hello/.test(v))).toEqual([]);

    // A release shows in the counter and the gauge.
    const [held] = proxy.logs.transactions().filter((t) => t['outcome'] === 'quarantined');
    const released = await fetch(`${base}/api/quarantine/${String(held?.['tx'])}/release`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(released.status).toBe(200);
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(value(after, 'sekisho_quarantine_released_total')).toBe(1);

    const promtool = requireTool('promtool');
    const check = spawnSync(promtool, ['check', 'metrics'], { input: after, encoding: 'utf8' });
    // promtool prints lint hints (not errors) on stdout; a failing exposition exits non-zero.
    expect(`${check.status} ${check.stderr}`).toBe('0 ');
  });

  it('/metrics takes a bearer token when admin.metrics_token is set', async () => {
    const { proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', metrics_token: 'prometheus-scrape-7c2e91' } });
    const url = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-000000' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer prometheus-scrape-7c2e91' } })).status).toBe(200);
    // Read as the admin API reads its token: the scheme is case-insensitive (RFC 7235 §2.1),
    // and another scheme carrying the same secret is no bearer token.
    expect((await fetch(url, { headers: { authorization: 'bearer prometheus-scrape-7c2e91' } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: 'Basic prometheus-scrape-7c2e91' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer ' } })).status).toBe(401);
  });

  it('/healthz says alive; /readyz checks the listener, the next hop and the quarantine', async () => {
    const { sink, proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0' } });
    const base = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { listening: { ok: true }, next_hop: { ok: true }, quarantine: { ok: true } } });

    // The quarantine breaks: not ready.
    const tmp = path.join(proxy.loaded.config.quarantine.dir, 'tmp');
    rmSync(tmp, { recursive: true });
    writeFileSync(tmp, 'not a directory');
    const broken = await fetch(`${base}/readyz`);
    expect(broken.status).toBe(503);
    // Without a token: what is wrong, but no path, address or banner.
    const body = await broken.text();
    expect(JSON.parse(body)).toEqual({ status: 'not ready', checks: { listening: { ok: true }, next_hop: { ok: true }, quarantine: { ok: false, problem: 'quarantine not writable' } } });
    expect(body).not.toContain(proxy.loaded.config.quarantine.dir);
    expect(body).not.toContain('127.0.0.1');
    expect(sink.messages).toHaveLength(0);
  });

  it('/readyz is 503 while the next hop does not answer', async () => {
    const { sink } = await relay.start();
    const gone = sink.url;
    await sink.stop();
    // A second daemon in front of the stopped sink (the fixture stops both after the test).
    const { proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', token: TOKEN }, smtp: { upstream: gone } });
    const url = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}/readyz`;
    const down = await fetch(url);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'not ready', checks: { listening: { ok: true }, next_hop: { ok: false, problem: 'next hop not answering' } } });
    // The admin's token (or the metrics token) asks for the details.
    const detailed = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await detailed.json()).toMatchObject({ checks: { next_hop: { ok: false, detail: expect.stringMatching(/ECONNREFUSED/) } } });
    expect(await (await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } })).json()).toMatchObject({ checks: { next_hop: { ok: false, problem: 'next hop not answering' } } });
  });
});
