import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQuarantineStore } from '../../src/quarantine/create-store.js';
import type { QuarantineMeta } from '../../src/quarantine/quarantine-store.js';
import { relayFixture, type RunningProxy } from '../helpers/proxy-harness.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { PASSWORD, passwordMail, RCPT, SENDER, zipMail } from '../helpers/ppap-mail.js';
import { attachmentOf } from '../helpers/wrappings.js';
import { removeDir, tempDir } from '../helpers/archive-tools.js';

/**
 * PPAP through the real proxy: a password zip, then a second mail of the same sender that
 * states its password (or the other way round). The zip must reach the recipients exactly
 * once if what is inside is clean, stay quarantined with the inside's findings if not, and
 * the password must never show anywhere.
 */

const F = path.resolve(__dirname, '../fixtures');
const MAIN = path.resolve(__dirname, '../../dist/main.js');
const CLEAN_DOCX = readFileSync(path.join(F, 'office-oletools/msodde/harmless-clean.docx'));
const MACRO_XLSM = attachmentOf(readFileSync(path.join(F, 'mail-spamassassin/olevbmacro/macro.eml')), 'macro.xlsm');
const dir = tempDir('ppap');
afterAll(() => removeDir(dir));

async function send(port: number, from: string, rcpts: string[], message: Buffer): Promise<number | undefined> {
  const client = await SmtpTestClient.connect(port);
  const r = await client.send(from, rcpts, message);
  await client.quit();
  return r.data?.final?.code;
}

async function until<T>(what: string, fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what} (last ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function entries(proxy: RunningProxy): Promise<readonly QuarantineMeta[]> {
  return (await createQuarantineStore(proxy.loaded).list({})).entries;
}

const pairings = (proxy: RunningProxy) => proxy.logs.lines.filter((l) => l['event'] === 'ppap-pairing');

describe('PPAP pairing through the proxy', () => {
  const relay = relayFixture();

  it('zip, then the password mail: the zip is inspected with it and, clean, delivered exactly once; the password shows nowhere', async () => {
    const { sink, proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', token: 'ppap-admin-token-0123' } });
    const zip = zipMail('a', { name: '請求書.docx', bytes: CLEAN_DOCX });
    expect(await send(proxy.port, SENDER, [RCPT], zip)).toBe(250);
    expect(sink.messages).toHaveLength(0);
    const [held] = await entries(proxy);
    expect(held?.ppap).toMatchObject({ state: 'awaiting', senders: [SENDER], attempts: [] });
    expect(proxy.logs.transactions().at(-1)).toMatchObject({ action: 'await-password', outcome: 'quarantined' });

    expect(await send(proxy.port, SENDER, [RCPT], passwordMail('a'))).toBe(250);
    await until('two messages at the sink', () => sink.messages.length, (n) => n === 2);
    await until('the pairing line', () => pairings(proxy).length, (n) => n === 1);
    const delivered = sink.messages.find((m) => m.data.includes(Buffer.from('zip-a@partner.example')));
    expect(delivered?.mailFrom).toBe(SENDER);
    expect(delivered?.rcptTo).toEqual([RCPT]);
    // Byte for byte but for the one header saying what happened.
    const text = delivered!.data.toString('latin1');
    const fieldEnd = text.search(/\r\n(?![ \t])/) + 2;
    expect(text.slice(0, fieldEnd).replace(/\r\n[ \t]+/g, ' ')).toBe('X-Sekisho-PPAP: opened and inspected: clean; password from <pw-a@partner.example>\r\n');
    expect(delivered!.data.subarray(fieldEnd).equals(zip)).toBe(true);
    const after = (await entries(proxy))[0];
    expect(after?.ppap?.state).toBe('released');
    expect(after?.release).toMatchObject({ state: 'released', by: 'ppap pairing, password from message <pw-a@partner.example>' });
    expect(pairings(proxy)).toEqual([expect.objectContaining({ result: 'released', source: '<pw-a@partner.example>' })]);

    // A second password mail finds nothing awaiting: no second delivery.
    expect(await send(proxy.port, SENDER, [RCPT], passwordMail('a2'))).toBe(250);
    await until('the third message', () => sink.messages.length, (n) => n === 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.filter((m) => m.data.includes(Buffer.from('zip-a@partner.example')))).toHaveLength(1);

    // The password is a secret: not in any log line, metric, API answer or the web page.
    const base = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}`;
    const headers = { authorization: 'Bearer ppap-admin-token-0123' };
    const api = await (await fetch(`${base}/api/quarantine`, { headers })).text();
    const one = await (await fetch(`${base}/api/quarantine/${after!.id}`, { headers })).text();
    const metrics = await proxy.metrics.registry.metrics();
    for (const [where, text] of Object.entries({ logs: proxy.logs.raw.join('\n'), api, one, metrics, entry: JSON.stringify(after) })) expect(text, where).not.toContain(PASSWORD);
    expect(metrics).toContain('sekisho_ppap_pairings_total{result="released"} 1');
  });

  it('the password mail first, the zip after: the remembered password opens it', async () => {
    const { sink, proxy } = await relay.start();
    expect(await send(proxy.port, SENDER, [RCPT], passwordMail('b'))).toBe(250);
    await until('the password mail at the sink', () => sink.messages.length, (n) => n === 1);
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('b', { name: 'order.docx', bytes: CLEAN_DOCX }))).toBe(250);
    await until('the zip at the sink', () => sink.messages.length, (n) => n === 2);
    await until('the pairing line', () => pairings(proxy).length, (n) => n === 1);
    expect(pairings(proxy)).toEqual([expect.objectContaining({ result: 'released', source: '<pw-b@partner.example>' })]);
  });

  it('a macro inside: kept, its findings now say what was inside', async () => {
    const { sink, proxy } = await relay.start();
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('c', { name: '請求書.xlsm', bytes: MACRO_XLSM }))).toBe(250);
    expect(await send(proxy.port, SENDER, [RCPT], passwordMail('c'))).toBe(250);
    await until('a pairing', () => pairings(proxy).length, (n) => n === 1);
    expect(pairings(proxy)[0]).toMatchObject({ result: 'kept' });
    expect(sink.messages).toHaveLength(1);
    const [held] = await entries(proxy);
    expect(held?.ppap?.state).toBe('kept');
    expect(held?.findings.find((f) => f.detector === 'macro')?.evidence['part']).toMatch(/invoice\.zip\/請求書\.xlsm/);
    expect(held?.verdict).not.toBe('clean');
  });

  it('a wrong password leaves it awaiting; another sender or other recipients change nothing', async () => {
    const { sink, proxy } = await relay.start();
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('d', { name: 'a.docx', bytes: CLEAN_DOCX }))).toBe(250);
    expect(await send(proxy.port, SENDER, [RCPT], passwordMail('d1', 'Wrong-pass-123'))).toBe(250);
    await until('a pairing', () => pairings(proxy).length, (n) => n === 1);
    expect(pairings(proxy)[0]).toMatchObject({ result: 'wrong-password' });
    expect(await send(proxy.port, 'mallory@elsewhere.example', [RCPT], passwordMail('d2', PASSWORD, 'mallory@elsewhere.example'))).toBe(250);
    expect(await send(proxy.port, SENDER, ['other@corp.example'], passwordMail('d3'))).toBe(250);
    await until('the three password mails at the sink', () => sink.messages.length, (n) => n === 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(pairings(proxy)).toHaveLength(1);
    const [held] = await entries(proxy);
    expect(held?.ppap).toMatchObject({ state: 'awaiting', attempts: [expect.objectContaining({ result: 'wrong-password', source: '<pw-d1@partner.example>' })] });
  });

  it('the window over with no password: plain quarantine', async () => {
    const { proxy } = await relay.start({}, { ppap: { window: '1s' } });
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('e', { name: 'a.docx', bytes: CLEAN_DOCX }))).toBe(250);
    await new Promise((r) => setTimeout(r, 1200));
    // The sweep runs every minute; the test runs it now, as the timer would.
    expect(await proxy.daemon.ppapSweep()).toBe(1);
    const [held] = await entries(proxy);
    expect(held?.ppap?.state).toBe('expired');
    expect(pairings(proxy)).toEqual([expect.objectContaining({ result: 'expired' })]);
  });

  it('the sweep skips an entry another process holds locked, and sweeps the rest', async () => {
    const { proxy } = await relay.start({}, { ppap: { window: '1s' } });
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('f1', { name: 'a.docx', bytes: CLEAN_DOCX }))).toBe(250);
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('f2', { name: 'b.docx', bytes: CLEAN_DOCX }))).toBe(250);
    await new Promise((r) => setTimeout(r, 1200));
    const held = await entries(proxy);
    expect(held).toHaveLength(2);
    // Another node or a release in progress holds the first one.
    const lock = await createQuarantineStore(proxy.loaded).lock(held[0]?.id ?? '');
    try {
      expect(await proxy.daemon.ppapSweep()).toBe(1);
    } finally {
      await lock.release();
    }
    expect((await entries(proxy)).map((e) => e.ppap?.state).sort()).toEqual(['awaiting', 'expired']);
    expect(await proxy.daemon.ppapSweep()).toBe(1);
  });
});

describe('PPAP by hand: API, web page and CLI', () => {
  const relay = relayFixture();
  const TOKEN = 'ppap-admin-token-4567';

  it('POST /api/quarantine/ID/open: a wrong password is 422 and recorded, the right one releases it', async () => {
    const { sink, proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('f', { name: 'a.docx', bytes: CLEAN_DOCX }))).toBe(250);
    const [held] = await entries(proxy);
    const url = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}/api/quarantine/${held!.id}/open`;
    const post = (password: string) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ password }) });
    const wrong = await post('not-it-000');
    expect(wrong.status).toBe(422);
    expect(await wrong.json()).toEqual({ id: held!.id, result: 'wrong-password' });
    const listed = (await (await fetch(`http://127.0.0.1:${proxy.daemon.adminAddress?.port}/api/quarantine`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { entries: Array<{ ppap: { state: string; attempts: number; seconds_left: number } }> };
    expect(listed.entries[0]?.ppap).toMatchObject({ state: 'awaiting', attempts: 1 });
    expect(listed.entries[0]?.ppap.seconds_left).toBeGreaterThan(23 * 3600);
    const right = await post(PASSWORD);
    expect(await right.json()).toEqual({ id: held!.id, result: 'released' });
    expect(sink.messages).toHaveLength(1);
    expect((await entries(proxy))[0]?.release?.by).toBe('ppap: password entered by api');
  });

  it('the web page shows the wait and the attempts, and takes a password (CSRF-checked)', async () => {
    const { sink, proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('g', { name: 'a.docx', bytes: CLEAN_DOCX }))).toBe(250);
    const [held] = await entries(proxy);
    const base = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}`;
    const login = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
    const page = await (await fetch(`${base}/quarantine/${held!.id}`, { headers: { cookie } })).text();
    expect(page).toContain('Awaiting password / パスワード待ち');
    expect(page).toMatch(/<input type="password" id="password" name="password"/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const form = (fields: Record<string, string>) => ({ method: 'POST', redirect: 'manual' as const, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    expect((await fetch(`${base}/quarantine/${held!.id}/open`, form({ csrf: 'stale', password: PASSWORD }))).status).toBe(403);
    const opened = await fetch(`${base}/quarantine/${held!.id}/open`, form({ csrf, password: PASSWORD }));
    expect(opened.status).toBe(303);
    expect(sink.messages).toHaveLength(1);
    const after = await (await fetch(`${base}/quarantine/${held!.id}`, { headers: { cookie } })).text();
    expect(after).toContain('PPAP: opened, clean, released');
    expect(after).toContain('admin:web');
    expect(after).not.toContain(PASSWORD);
  });

  it('sekisho quarantine open ID --password-file F', async () => {
    const { sink, proxy } = await relay.start();
    expect(await send(proxy.port, SENDER, [RCPT], zipMail('h', { name: 'a.docx', bytes: CLEAN_DOCX }))).toBe(250);
    const [held] = await entries(proxy);
    const config = path.join(dir, 'cli.yaml');
    writeFileSync(config, `smtp:\n  listen: 127.0.0.1:0\n  upstream: ${sink.url}\n  upstream_tls: { starttls: never }\nquarantine:\n  dir: ${proxy.loaded.config.quarantine.dir}\n`);
    const pwFile = path.join(dir, 'pw.txt');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    // Asynchronously: the release goes to the sink that runs in this very process.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, 'quarantine', 'open', held!.id, '--config', config, '--password-file', pwFile], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.stdout.trim()).toBe(`${held!.id}: opened; clean inside; released to its recipients`);
    expect(run.status).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
    expect(sink.messages).toHaveLength(1);
  });
});
