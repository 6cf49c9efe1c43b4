/**
 * Brand check benchmark (not a test): what the `brand` detector adds to the inspection of a
 * typical 20 KB message. `npm run bench:brand`.
 *
 * Three 20 KB HTML mails (a retailer newsletter naming brands with 60 links, a brand's own
 * notice, a phish), each inspected N times with and without the detector; the report is the
 * median of inspect() with minus without, and the median of the detector alone.
 */
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { brandInput } from '../src/core/brand/brand-input.js';
import { inspect } from '../src/core/inspect.js';
import { walkMime } from '../src/core/mime/mime-walker.js';
import { brandMail, shippedChecker } from '../test/helpers/brand-mail.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2000);
const ENVELOPE = { mailFrom: 'bounce@mailer.example', rcptTo: ['user@example.net'] };

/** Rows of ordinary Japanese retail copy with links, until the HTML is `bytes` long in UTF-8. */
function html(bytes: number, link: (i: number) => string, text: (i: number) => string): string {
  const parts: string[] = ['<html><body><table width="600">'];
  let i = 0;
  while (Buffer.byteLength(parts.join('\n')) < bytes) {
    parts.push(`<tr><td style="font-size:14px;color:#333">${text(i)}<br><a href="${link(i)}" style="color:#06c">詳しくはこちら</a></td></tr>`);
    i++;
  }
  parts.push('</table></body></html>');
  return parts.join('\n');
}

const COPY = [
  '冬のセール開催中！人気のコートが最大50%オフ。お支払いはPayPay、楽天ペイ、Visa・Mastercard・JCBがご利用いただけます。',
  '新作スニーカー入荷しました。Amazon Payでのお支払いでポイント2倍。送料無料キャンペーンは今週末まで。',
  'Apple Watch 対応の新しいバンドが登場。iPhone ケースも多数取り揃えております。',
  '会員様限定クーポンをお届けします。マイページにログインしてご確認ください。',
];

const MAILS = {
  'retailer newsletter naming brands (60 links)': brandMail({
    from: 'ファッション通販 <news@shop-mail.example>',
    subject: '【冬のセール】PayPay・Amazon Pay でポイント還元',
    html: html(14_800, (i) => (i % 5 === 0 ? `https://www.amazon.co.jp/dp/B0${i}` : `https://shop.example/item/${i}?utm_source=mail`), (i) => COPY[i % COPY.length] ?? ''),
  }),
  "a brand's own notice": brandMail({
    from: '三井住友カード <statement@vpass.ne.jp>',
    subject: '【三井住友カード】ご利用明細のお知らせ',
    html: html(14_800, (i) => `https://www.smbc-card.com/mem/meisai/${i}.jsp`, () => 'ご利用明細を更新しました。Vpass にログインしてご確認ください。'),
  }),
  phish: brandMail({
    from: '"Amazon.co.jp" <account-update@amazon-co-jp.security-check.xyz>',
    subject: '【Amazon】お客様のアカウントが一時停止されました',
    html: html(14_800, (i) => `https://amazon-co-jp.security-check.xyz/signin?id=${i}`, () => 'お客様のアカウントが一時停止されました。24時間以内に本人確認を行ってください。'),
  }),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

it('brand checks on 20 KB messages', async () => {
  const checker = shippedChecker();
  console.log(`\nBrand checks, ${ROUNDS} rounds per message (median):`);
  for (const [name, mail] of Object.entries(MAILS)) {
    const tree = await walkMime(mail, 1000);
    const input = brandInput(ENVELOPE, tree);
    const alone: number[] = [];
    const withBrands: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      checker.check(input);
      alone.push(performance.now() - t);
      t = performance.now();
      await inspect(ENVELOPE, mail, { brands: checker });
      withBrands.push(performance.now() - t);
      t = performance.now();
      await inspect(ENVELOPE, mail);
      without.push(performance.now() - t);
    }
    const findings = checker.check(input).map((f) => `${f.code}:${f.severity}`);
    console.log(
      `  ${name}: ${(mail.length / 1024).toFixed(1)} KB, detector alone ${(median(alone) * 1000).toFixed(0)} µs, ` +
        `inspect() ${(median(without) * 1000).toFixed(0)} µs → ${(median(withBrands) * 1000).toFixed(0)} µs with brands ` +
        `(+${((median(withBrands) - median(without)) * 1000).toFixed(0)} µs); findings: ${findings.join(', ') || 'none'}`,
    );
  }
});
