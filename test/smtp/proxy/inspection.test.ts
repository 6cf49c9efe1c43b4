import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load-config.js';
import { merge, proxyConfig, relayFixture } from '../../helpers/proxy-harness.js';
import { brandMail } from '../../helpers/brand-mail.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

const MAILS = path.resolve(__dirname, '../../fixtures/mail-spamassassin/olevbmacro');

describe('the proxy acts on the inspection core’s verdict', () => {
  const relay = relayFixture();

  it('a mail whose password zip hides a macro is not relayed: quarantined, the client told 250 once it is on disk', async () => {
    const { sink, proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('sender@example.com', ['r@example.net'], readFileSync(path.join(MAILS, 'zippwmacro.eml')));
    await client.quit();
    const [tx] = proxy.logs.transactions();
    // No tells: before any relay, the form of Postfix's own 250, and not sekisho's id.
    expect(result.data?.final?.text).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{10}$/);
    expect(result.data?.final?.text).not.toContain(String(tx?.['tx']));
    expect(sink.messages).toHaveLength(0);
    expect(sink.commands).toContain('RSET');
    expect(tx).toMatchObject({ action: 'quarantine', outcome: 'quarantined' });
    expect(['suspicious', 'malicious']).toContain(tx?.['verdict']);
    expect(tx?.['findings']).toEqual(expect.arrayContaining(['archive/encrypted-zip-opened', 'macro/vba']));
  });

  it('a clean mail with a macro-free workbook is relayed byte for byte', async () => {
    const { sink, proxy } = await relay.start();
    // SMTP content ends with a line break: the file does not, so the client adds CRLF.
    const mail = Buffer.concat([readFileSync(path.join(MAILS, 'nomacro.eml')), Buffer.from('\r\n')]);
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('sender@example.com', ['r@example.net'], mail);
    await client.quit();
    expect(result.data?.final?.code).toBe(250);
    expect(sink.messages[0]?.data.equals(mail)).toBe(true);
    expect(proxy.logs.transactions()[0]).toMatchObject({ verdict: 'clean', action: 'pass', findings: [] });
  });

  it('the inspect section of the config reaches the core: a tiny allowance makes the zip unscannable', async () => {
    const { sink, proxy } = await relay.start({}, { inspect: { max_decompressed_bytes: 1000 } });
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('sender@example.com', ['r@example.net'], readFileSync(path.join(MAILS, 'nomacro.eml')));
    await client.quit();
    expect(result.data?.final?.code).toBe(250);
    expect(sink.messages).toHaveLength(0);
    expect(proxy.logs.transactions()[0]).toMatchObject({ verdict: 'unscannable', action: 'quarantine', outcome: 'quarantined', findings: ['limits/decompressed-bytes'] });
  });

  it('brand impersonation is quarantined; the brand\'s own mail and an allow-listed sender pass', async () => {
    const { sink, proxy } = await relay.start({}, { brands: { allow_domains: ['amazon-fan.example'] } });
    const client = await SmtpTestClient.connect(proxy.port);
    const phish = brandMail({ from: '"Amazon.co.jp" <account@amazon-co-jp.xyz>', subject: '【Amazon】お支払い方法の更新', text: 'https://amazon-co-jp.xyz/signin' });
    const own = brandMail({ from: 'Amazon.co.jp <auto-confirm@amazon.co.jp>', subject: 'ご注文の確認', text: 'https://www.amazon.co.jp/gp/css/order-history' });
    const fan = brandMail({ from: 'Amazon Fan <news@amazon-fan.example>', subject: 'Amazon セール情報', text: 'https://amazon-fan.example/' });
    const results = [];
    for (const mail of [phish, own, fan]) results.push(await client.send('sender@example.com', ['r@example.net'], mail));
    await client.quit();
    expect(results.map((r) => r.data?.final?.code)).toEqual([250, 250, 250]);
    expect(sink.messages).toHaveLength(2);
    const logged = proxy.logs.transactions();
    expect(logged[0]).toMatchObject({ verdict: 'malicious', action: 'quarantine', outcome: 'quarantined' });
    expect(logged[0]?.['findings']).toEqual(expect.arrayContaining(['brand/display-name', 'brand/sender-lookalike', 'brand/link-lookalike']));
    expect(logged.slice(1).map((t) => [t['verdict'], t['action']])).toEqual([
      ['clean', 'pass'],
      ['clean', 'pass'],
    ]);
  });

  it('a reload takes the new brand settings: the detector turned off lets the same phish through', async () => {
    const { sink, proxy } = await relay.start();
    const phish = brandMail({ from: '"Amazon.co.jp" <account@amazon-co-jp.xyz>', subject: '【Amazon】お支払い方法の更新', text: 'https://amazon-co-jp.xyz/signin' });
    const send = async () => {
      const client = await SmtpTestClient.connect(proxy.port);
      await client.send('sender@example.com', ['r@example.net'], phish);
      await client.quit();
      return proxy.logs.transactions().at(-1)?.['outcome'];
    };
    expect(await send()).toBe('quarantined');
    proxy.daemon.reload(validateConfig('test.yaml', merge(proxyConfig(sink.url), { brands: { enabled: false } })));
    expect(await send()).toBe('delivered');
    expect(sink.messages).toHaveLength(1);
  });
});
