import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandMail } from '../../helpers/brand-mail.js';
import { launchChromium } from '../../helpers/chromium.js';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { tempQuarantineDir } from '../../helpers/quarantine-fixtures.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

const MAIN = path.resolve(__dirname, '../../../dist/main.js');
const MAILS = path.resolve(__dirname, '../../fixtures/mail-spamassassin/olevbmacro');
const TOKEN = 'kanri-3f9a7c1e5b2d';

/**
 * The built CLI, as an admin runs it. Asynchronously: a release talks to the test's own
 * sink, which must keep serving while the CLI runs.
 */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

describe('quarantine from end to end: proxy, CLI, HTTP API', () => {
  const relay = relayFixture();

  it('a zipped macro is held (client 250, next hop nothing), listed, released once with its envelope', async () => {
    const dir = tempQuarantineDir();
    const { sink, proxy } = await relay.start({}, { quarantine: { dir }, admin: { listen: '127.0.0.1:0', token: TOKEN } });
    // The Emotet pattern: a password zip whose password the mail states, a macro inside.
    const sent = Buffer.concat([readFileSync(path.join(MAILS, 'zippwmacro.eml')), Buffer.from('\r\n')]);
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('billing@partner.example', ['user@example.net', 'boss@example.net'], sent);
    await client.quit();
    expect(result.data?.final?.code).toBe(250);
    expect(sink.messages).toHaveLength(0);
    const [tx] = proxy.logs.transactions();
    expect(tx).toMatchObject({ action: 'quarantine', outcome: 'quarantined' });
    const id = String(tx?.['tx']);
    // No tells: nothing was relayed yet, so the 250 has Postfix's form; never the quarantine id.
    expect(result.data?.final?.text).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{10}$/);
    expect(result.data?.final?.text).not.toContain(id);

    // The CLI sees it, with the configuration the daemon runs on.
    const config = path.join(dir, 'sekisho.yaml');
    writeFileSync(config, `smtp:\n  listen: 127.0.0.1:0\n  upstream: ${sink.url}\n  upstream_tls: { starttls: never }\nquarantine:\n  dir: ${dir}\n`);
    const listed = await cli(['quarantine', 'list', '--config', config, '--json']);
    expect(listed.status).toBe(0);
    const list = JSON.parse(listed.stdout) as { total: number; entries: Array<Record<string, unknown>> };
    expect(list.total).toBe(1);
    expect(list.entries[0]).toMatchObject({ id, mail_from: 'billing@partner.example', rcpt_to: ['user@example.net', 'boss@example.net'], verdict: 'suspicious', released: false });
    const shown = await cli(['quarantine', 'show', '--config', config, id]);
    expect(shown.stdout).toMatch(/\n  \[medium\] macro\/vba: VBA macros in 2\/[^\n]*\.zip\//);
    expect((await cli(['quarantine', 'show', '--config', config, '../x'])).status).toBe(2);

    // The HTTP API sees it too.
    const api = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}/api/quarantine`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const page = (await (await fetch(`${api}?sender=partner.example`, { headers: auth })).json()) as { total: number; entries: Array<{ id: string }> };
    expect(page.entries.map((e) => e.id)).toEqual([id]);
    const raw = Buffer.from(await (await fetch(`${api}/${id}/raw`, { headers: auth })).arrayBuffer());
    expect(raw.equals(sent)).toBe(true);

    // Released by the CLI: to the next hop with the original envelope, the release header on top.
    const released = await cli(['quarantine', 'release', '--config', config, id, '--by', 'alice']);
    expect(released.status).toBe(0);
    expect(sink.messages).toHaveLength(1);
    const got = sink.messages[0];
    expect([got?.mailFrom, got?.rcptTo]).toEqual(['billing@partner.example', ['user@example.net', 'boss@example.net']]);
    const text = got?.data.toString('latin1') ?? '';
    expect(text).toMatch(/^X-Sekisho-Released-By: alice; /);
    expect(got?.data.subarray(text.indexOf('\n') + 1).equals(sent)).toBe(true);
    expect(JSON.parse(released.stderr.trim().split('\n').pop() ?? '{}')).toMatchObject({ event: 'quarantine-release', id, by: 'alice', result: 'released' });

    // Again, by the API and by the CLI: nothing more is sent.
    const again = await fetch(`${api}/${id}/release`, { method: 'POST', headers: auth });
    expect(((await again.json()) as { status: string }).status).toBe('already-released');
    expect((await cli(['quarantine', 'release', '--config', config, id])).status).toBe(1);
    expect(sink.messages).toHaveLength(1);
  });

  it('reject and tempfail are SMTP replies with a short reason; the next hop gets nothing', async () => {
    const { sink, proxy } = await relay.start({}, { quarantine: { dir: tempQuarantineDir() }, policy: { rules: [{ detector: 'macro', action: 'reject' }, { detector: 'archive', action: 'tempfail', reply: 'Encrypted archives are held, try again later' }] } });
    const client = await SmtpTestClient.connect(proxy.port);
    const macro = await client.send('a@partner.example', ['u@example.net'], readFileSync(path.join(MAILS, 'malicemacro.eml')));
    const encrypted = await client.send('a@partner.example', ['u@example.net'], readFileSync(path.join(MAILS, 'encrypted.eml')));
    await client.quit();
    expect(macro.data?.final?.text).toBe('550 5.7.1 Office documents with macros are not accepted');
    expect(encrypted.data?.final?.text).toBe('451 4.7.1 Encrypted archives are held, try again later');
    expect(sink.messages).toHaveLength(0);
    expect(proxy.logs.transactions().map((t) => [t['action'], t['outcome']])).toEqual([
      ['reject', 'rejected'],
      ['tempfail', 'tempfailed'],
    ]);
  });

  it('a quarantine that cannot be written is a tempfail: the sender keeps the message', async () => {
    const dir = tempQuarantineDir();
    const { sink, proxy } = await relay.start({}, { quarantine: { dir } });
    // The store's temp directory breaks under the running daemon (a failing or full disk).
    rmSync(path.join(dir, 'tmp'), { recursive: true });
    writeFileSync(path.join(dir, 'tmp'), 'not a directory');
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('a@partner.example', ['u@example.net'], readFileSync(path.join(MAILS, 'malicemacro.eml')));
    await client.quit();
    expect(result.data?.final?.text).toBe('451 4.3.0 Cannot store the message, try again later');
    expect(sink.messages).toHaveLength(0);
  });

  it('an admin finds the held mail in the web page (headless Chromium) and releases it to the next hop', async () => {
    const { sink, proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
    const phish = brandMail({ from: '"Amazon.co.jp" <account@amazon-co-jp.xyz>', subject: '【Amazon】お支払い方法の更新', text: 'https://amazon-co-jp.xyz/signin で本人確認をお願いします' });
    const client = await SmtpTestClient.connect(proxy.port);
    expect((await client.send('account@amazon-co-jp.xyz', ['tanaka@example.co.jp'], phish)).data?.final?.code).toBe(250);
    await client.quit();
    expect(sink.messages).toHaveLength(0);

    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      page.setDefaultTimeout(15_000);
      const base = `http://127.0.0.1:${proxy.daemon.adminAddress?.port}`;
      await page.goto(base);
      await page.getByLabel('Admin token').fill(TOKEN);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${base}/quarantine`);
      await page.getByLabel('Search').fill('お支払い方法');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/\?q=/);
      await page.getByRole('link', { name: '【Amazon】お支払い方法の更新' }).click();
      expect(await page.locator('table.findings').innerText()).toContain('brand/display-name');
      await page.getByRole('link', { name: /Release/ }).first().click();
      await page.getByRole('button', { name: 'Release / 解放' }).click();
      await page.getByRole('status').waitFor();
      expect(await page.getByRole('status').innerText()).toContain('Released / 解放しました');
    } finally {
      await browser.close();
    }
    expect(sink.messages).toHaveLength(1);
    expect([sink.messages[0]?.mailFrom, sink.messages[0]?.rcptTo]).toEqual(['account@amazon-co-jp.xyz', ['tanaka@example.co.jp']]);
    const data = sink.messages[0]?.data ?? Buffer.alloc(0);
    expect(data.toString('latin1')).toMatch(/^X-Sekisho-Released-By: web; /);
    expect(data.subarray(data.indexOf('\r\n') + 2).equals(phish)).toBe(true);
  });
});
