import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { adminFixture, IDS, TOKEN, type RunningAdmin } from './admin-fixture.js';

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe('admin web page (Chromium)', () => {
  const fixture = adminFixture();
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh browser profile (no cookies) at a viewport; every dialog a page opens is recorded. */
  async function open(viewport = LAPTOP): Promise<{ page: Page; dialogs: string[] }> {
    if (!browser) throw new Error('the browser did not start');
    context = await browser.newContext({ viewport });
    const page = await context.newPage();
    // A bound so that a broken page fails in seconds instead of at the test timeout; no assertion on time.
    page.setDefaultTimeout(15_000);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return { page, dialogs };
  }

  async function logIn(admin: RunningAdmin, page: Page): Promise<void> {
    await page.goto(admin.base);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${admin.base}/quarantine`);
  }

  it('logs in, finds a message by its Japanese subject, releases it, and the next hop gets it', async () => {
    const admin = await fixture.start();
    const { page, dialogs } = await open();
    await logIn(admin, page);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(5);
    await page.screenshot({ path: '/tmp/sekisho-admin-list.png', fullPage: true });

    await page.getByLabel('Search').fill('請求書');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\?q=/);
    const rows = page.locator('table.list tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('経理部 <keiri@examp1e-bank.example>');

    await page.getByRole('link', { name: '【重要】請求書のご確認をお願いします' }).click();
    await page.waitForURL(`${admin.base}/quarantine/${IDS.invoice}`);
    expect(await page.locator('h1').innerText()).toBe('【重要】請求書のご確認をお願いします');
    expect(await page.locator('table.findings').innerText()).toContain('macro/vba-in-ole');
    expect(await page.locator('table.findings').innerText()).toContain('2/請求書.zip/請求書.xlsm');
    expect(await page.locator('pre.headers').innerText()).toContain('Message-ID: <inv-1@examp1e-bank.example>');
    await page.screenshot({ path: '/tmp/sekisho-admin-detail.png', fullPage: true });

    const download = await page.request.get(`${admin.base}/quarantine/${IDS.invoice}/raw`);
    expect(download.headers()['content-type']).toBe('message/rfc822');
    expect((await download.body()).equals(admin.held.invoice.message)).toBe(true);

    await page.getByRole('link', { name: 'Release / 解放' }).click();
    await page.waitForURL(`${admin.base}/quarantine/${IDS.invoice}/release`);
    expect(await page.locator('h1').innerText()).toContain('Release this message to tanaka@corp.example.jp?');
    expect(admin.sink.messages).toHaveLength(0);
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').innerText()).toContain('Released / 解放しました');

    expect(admin.sink.messages).toHaveLength(1);
    const got = admin.sink.messages[0];
    expect(got?.mailFrom).toBe('bounce@partner.example');
    expect(got?.rcptTo).toEqual(['tanaka@corp.example.jp']);
    const data = got?.data ?? Buffer.alloc(0);
    const firstLine = data.subarray(0, data.indexOf('\r\n') + 2).toString('latin1');
    expect(firstLine).toMatch(/^X-Sekisho-Released-By: web; /);
    expect(data.subarray(firstLine.length).equals(admin.held.invoice.message)).toBe(true);

    // Reload-safe: the result page came from a redirect-free POST, but a second release sends nothing.
    await page.goto(`${admin.base}/quarantine/${IDS.invoice}/release`);
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').innerText()).toContain('Already released — nothing sent again');
    expect(admin.sink.messages).toHaveLength(1);
    expect(dialogs).toEqual([]);
  });

  it('releases to other recipients typed on the confirm page', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    await page.goto(`${admin.base}/quarantine/${IDS.script}/release`);
    await page.getByLabel('Other recipients').fill('security@corp.example.jp, 担当@corp.example.jp');
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    await page.getByRole('status').waitFor();
    expect(admin.sink.messages.map((m) => m.rcptTo)).toEqual([['security@corp.example.jp', '担当@corp.example.jp']]);

    await page.goto(`${admin.base}/quarantine/${IDS.rejected}/release`);
    await page.getByLabel('Other recipients').fill('bad address>@x');
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    expect(await page.getByRole('alert').innerText()).toContain('bad recipient');
    expect(admin.sink.messages).toHaveLength(1);
  });

  it('shows the next hop reply when a release fails', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    await page.goto(`${admin.base}/quarantine/${IDS.rejected}/release`);
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Release failed');
    expect(await alert.innerText()).toContain('554');
  });

  it('asks before a release that may already have been delivered, and sends only when forced', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    await page.goto(`${admin.base}/quarantine/${IDS.interrupted}/release`);
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('In doubt');
    expect(admin.sink.messages).toHaveLength(0);
    await page.goto(`${admin.base}/quarantine/${IDS.interrupted}/release`);
    await page.getByLabel('Send anyway').check();
    await page.getByRole('button', { name: 'Release / 解放' }).click();
    await page.getByRole('status').waitFor();
    expect(admin.sink.messages).toHaveLength(1);
  });

  it('deletes after confirmation', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    await page.goto(`${admin.base}/quarantine/${IDS.invoice}`);
    await page.getByRole('link', { name: 'Delete / 削除' }).click();
    expect(await page.locator('h1').innerText()).toContain('Delete this message permanently?');
    expect(await admin.store.get(IDS.invoice)).toBeDefined();
    await page.getByRole('button', { name: 'Delete / 削除' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').innerText()).toContain('Deleted');
    expect(await admin.store.get(IDS.invoice)).toBeUndefined();
    expect(admin.logs.lines.find((l) => l['event'] === 'quarantine-delete')).toMatchObject({ by: 'web', result: 'deleted' });
    const gone = await page.goto(`${admin.base}/quarantine/${IDS.invoice}`);
    expect(gone?.status()).toBe(404);
  });

  it('shows an error for a wrong token and sets no session', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await page.goto(`${admin.base}/login`);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('Wrong token');
    expect(await context?.cookies()).toEqual([]);
    const list = await page.goto(`${admin.base}/quarantine`);
    expect(new URL(list?.url() ?? '').pathname).toBe('/login');
  });

  it('renders a <script> subject and From as text: nothing runs', async () => {
    const admin = await fixture.start();
    const { page, dialogs } = await open();
    await logIn(admin, page);
    const row = page.locator('table.list tbody tr', { hasText: 'evil@bad.example' });
    expect(await row.locator('td.subject a').innerText()).toBe('<script>alert(1)</script>');
    expect(await row.innerText()).toContain('"<img src=x onerror=alert(2)>" <evil@bad.example>');
    await row.locator('td.subject a').click();
    await page.waitForURL(`${admin.base}/quarantine/${IDS.script}`);
    expect(await page.locator('h1').innerText()).toBe('<script>alert(1)</script>');
    expect(await page.locator('table.findings').innerText()).toContain('<b>bold</b> display name');
    expect(await page.locator('pre.headers').innerText()).toContain('Subject: <script>alert(1)</script>');
    // No element came from message text: the page has no script, img, b or i at all.
    expect(await page.locator('script, img, b, i').count()).toBe(0);
    await page.goto(`${admin.base}/quarantine/${IDS.script}/release`);
    expect(await page.locator('script, img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('fits a phone screen: the list becomes cards without horizontal scrolling', async () => {
    const admin = await fixture.start();
    const { page } = await open(PHONE);
    await logIn(admin, page);
    // A string: the test code is compiled without the DOM library.
    const overflow = () => page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })');
    const list = await overflow();
    expect(list.scroll).toBeLessThanOrEqual(list.inner);
    expect(await page.locator('table.list thead').isVisible()).toBe(false);
    await page.screenshot({ path: '/tmp/sekisho-admin-list-phone.png', fullPage: true });
    await page.goto(`${admin.base}/quarantine/${IDS.invoice}`);
    const detail = await overflow();
    expect(detail.scroll).toBeLessThanOrEqual(detail.inner);
    await page.screenshot({ path: '/tmp/sekisho-admin-detail-phone.png', fullPage: true });
  });

  it('refuses a state-changing POST without the session CSRF token or from another origin', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    const url = `${admin.base}/quarantine/${IDS.invoice}/release`;
    const noToken = await page.request.post(url, { form: { recipients: '' } });
    expect(noToken.status()).toBe(403);
    const wrongToken = await page.request.post(url, { form: { csrf: 'x'.repeat(43) } });
    expect(wrongToken.status()).toBe(403);
    const csrf = await page.goto(url).then(() => page.locator('input[name=csrf]').first().inputValue());
    const crossSite = await page.request.post(url, { form: { csrf }, headers: { Origin: 'http://evil.example' } });
    expect(crossSite.status()).toBe(403);
    const del = await page.request.post(`${admin.base}/quarantine/${IDS.invoice}/delete`, { form: { csrf: 'nope' } });
    expect(del.status()).toBe(403);
    expect(admin.sink.messages).toHaveLength(0);
    expect(await admin.store.get(IDS.invoice)).toBeDefined();
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and sends security headers', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    const cookies = (await context?.cookies()) ?? [];
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'sekisho_session', httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(cookies[0]?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await page.goto(`${admin.base}/quarantine`);
    const headers = res?.headers() ?? {};
    expect(headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cache-control']).toBe('no-store');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
  });

  it('logs out, and a new token ends every session', async () => {
    const admin = await fixture.start();
    const { page } = await open();
    await logIn(admin, page);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${admin.base}/login`);
    await page.goto(`${admin.base}/quarantine`);
    expect(new URL(page.url()).pathname).toBe('/login');

    await logIn(admin, page);
    admin.server.reconfigure({ token: TOKEN });
    await page.goto(`${admin.base}/quarantine`);
    expect(new URL(page.url()).pathname).toBe('/quarantine');
    admin.server.reconfigure({ token: 'a-new-token' });
    await page.goto(`${admin.base}/quarantine`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('shows a plain page saying so when admin.token is not set', async () => {
    const admin = await fixture.start({});
    const { page } = await open();
    const res = await page.goto(`${admin.base}/`);
    expect(res?.status()).toBe(503);
    expect(await page.locator('main').innerText()).toContain('admin.token is not set');
  });
});
