import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brandMail, inspectBrand, shippedChecker, suspiciousBrand, type BrandMail } from '../../helpers/brand-mail.js';
import { emlFiles, measureClean } from '../../helpers/clean-measure.js';

/**
 * False positives are the enemy: a brand's real mail, a newsletter that talks about
 * brands, ordinary Japanese mail. None may give a `brand` finding at `medium` or above
 * (what makes a message suspicious and gets it tagged).
 */

/** Real brands' mail, modelled on what they send: their own domains, their own links. */
const BRAND_MAIL: Record<string, BrandMail> = {
  'Amazon order confirmation': {
    from: 'Amazon.co.jp <auto-confirm@amazon.co.jp>',
    subject: 'Amazon.co.jpでのご注文 250-1234567-1234567',
    html: '<p>Amazon.co.jpをご利用いただき、ありがとうございます。</p><p><a href="https://www.amazon.co.jp/gp/css/order-details?orderID=250-1234567">注文を表示</a></p><img src="https://m.media-amazon.com/images/G/09/logo.png" alt="Amazon.co.jp"><p>お支払い方法の確認は <a href="https://www.amazon.co.jp/cpe/yourpayments/wallet">こちら</a></p>',
  },
  'Apple receipt': {
    from: 'Apple <no_reply@email.apple.com>',
    subject: 'Apple からの領収書です',
    html: '<p>Apple ID: user@example.net</p><p><a href="https://reportaproblem.apple.com/">問題を報告する</a> | <a href="https://www.apple.com/jp/legal/privacy/">プライバシーポリシー</a> | <a href="https://support.apple.com/ja-jp/HT204088">Apple ID のパスワードをリセット</a></p>',
  },
  'Apple ID sign-in notice': {
    from: 'Apple <appleid@id.apple.com>',
    subject: 'Apple ID でサインインがありました',
    text: 'お客様の Apple ID (user@example.net) を使って iPhone にサインインがありました。心当たりがない場合は https://appleid.apple.com でパスワードを変更してください。',
  },
  '三井住友カード usage notice': {
    from: '三井住友カード <statement@vpass.ne.jp>',
    subject: '【三井住友カード】ご利用のお知らせ',
    text: '三井住友カードをご利用いただきありがとうございます。ご利用内容は Vpass でご確認いただけます。\nhttps://www.smbc-card.com/mem/index.jsp\n本人確認のお願い: 不審なご利用がある場合は https://www.vpass.ne.jp/ へログインしてください。',
  },
  '楽天市場 newsletter': {
    from: '楽天市場 <info@emagazine.rakuten.co.jp>',
    subject: '【楽天市場】お買い物マラソン開催中！ポイント最大44倍',
    html: '<a href="https://event.rakuten.co.jp/campaign/point-up/marathon/">エントリーはこちら</a> <a href="https://www.rakuten.co.jp/">楽天市場トップ</a> <a href="https://rd.rakuten.co.jp/mail/?R2=https%3A%2F%2Fevent.rakuten.co.jp%2F">詳しく見る</a>',
  },
  'えきねっと reservation': {
    from: 'えきねっと <info@eki-net.com>',
    subject: '【えきねっと】きっぷ予約のお知らせ',
    text: 'JR東日本 えきねっとをご利用いただきありがとうございます。予約内容は https://www.eki-net.com/ からご確認ください。',
  },
  'ヤマト運輸 delivery notice': {
    from: 'ヤマト運輸 <mail@kuronekoyamato.co.jp>',
    subject: 'お荷物お届けのお知らせ',
    text: 'ヤマト運輸です。お荷物のお届け予定をお知らせします。https://toi.kuronekoyamato.co.jp/cgi-bin/tneko',
  },
  'Google security alert': {
    from: 'Google <no-reply@accounts.google.com>',
    subject: 'セキュリティ通知',
    text: 'Google アカウントへの新しいログインがありました。心当たりがない場合は https://myaccount.google.com/notifications で確認してください。',
  },
  'Microsoft account team': {
    from: 'Microsoft アカウント チーム <account-security-noreply@accountprotection.microsoft.com>',
    subject: 'Microsoft アカウントのセキュリティ コード',
    text: 'Microsoft アカウント user@example.net のセキュリティ コードは 123456 です。https://account.live.com/',
  },
  'PayPay campaign': {
    from: 'PayPay <no-reply@paypay.ne.jp>',
    subject: 'PayPayからのお知らせ',
    text: 'PayPayをご利用いただきありがとうございます。キャンペーンの詳細はアプリで。https://paypay.ne.jp/event/',
  },
};

/** Third parties that write about brands, link to them, or take their payments. */
const NEWSLETTERS: Record<string, BrandMail> = {
  'tech news about Apple and Amazon': {
    from: 'テックニュース <news@technews.example>',
    subject: 'Apple、新型iPhoneを発表 / Amazonが新サービス',
    html: '<p>Appleは本日、新型iPhoneを発表した。<a href="https://technews.example/2026/11/apple">続きを読む</a></p><p>公式発表: <a href="https://www.apple.com/jp/newsroom/">https://www.apple.com/jp/newsroom/</a></p><p>Amazonの発表は <a href="https://www.aboutamazon.jp/">aboutamazon.jp</a> で。</p>',
  },
  'shop taking PayPay and 楽天ペイ': {
    from: 'ヤマダ雑貨店 <shop@yamada-zakka.example>',
    subject: 'ポイント5倍キャンペーン',
    text: 'お支払いは PayPay、楽天ペイ、d払い、Visa・Mastercard・JCB がご利用いただけます。マイページにログインしてご確認ください。https://yamada-zakka.example/mypage',
  },
  'gift card prize draw': {
    from: 'アンケート事務局 <survey@research.example>',
    subject: 'Amazonギフト券が当たるアンケートのお願い',
    text: 'ご回答いただいた方の中から抽選で Amazonギフト券1,000円分をプレゼント。ログインして回答してください: https://research.example/q/123',
  },
  '"Sign in with Google" service': {
    from: 'Example Notes <no-reply@notes.example>',
    subject: 'Google アカウントでログインしました',
    text: 'Google アカウントで Example Notes にサインインしました。パスワードは保存されません。https://notes.example/settings',
  },
  'English newsletter mentioning brands in lower case': {
    from: 'Garden Weekly <weekly@garden.example>',
    subject: 'apple trees and amazon lilies',
    text: 'This week: pruning apple trees, and why the amazon lily needs shade. https://garden.example/apple-trees https://apple-growers.example.org/',
  },
};

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

async function suspicious(mail: Buffer, mailFrom?: string): Promise<string[]> {
  return suspiciousBrand(await inspectBrand(mail, shippedChecker(), mailFrom)).map((f) => `${f.code}: ${f.summary}`);
}

describe('clean controls', () => {
  for (const [name, mail] of Object.entries(BRAND_MAIL)) {
    it(`brand mail from its own domain: ${name}`, async () => {
      const domain = /@([^>]+)>/.exec(mail.from)?.[1] ?? '';
      expect(await suspicious(brandMail(mail), `bounce@${domain}`)).toEqual([]);
    });
  }

  for (const [name, mail] of Object.entries(NEWSLETTERS)) {
    it(`newsletter mentioning brands: ${name}`, async () => {
      expect(await suspicious(brandMail(mail), 'bounces+123@em.sendgrid.example')).toEqual([]);
    });
  }

  it('every mail of the mail-ruby corpus, Japanese ones included', async () => {
    const report = await measureClean(emlFiles(`${FIXTURES}mail-ruby`), shippedChecker(), FIXTURES);
    expect(report.messages).toBe(49);
    expect(report.suspicious).toEqual([]);
  });

  it('ordinary mail from the test data of free software (mail-ham)', async () => {
    const report = await measureClean(emlFiles(`${FIXTURES}mail-ham`), shippedChecker(), FIXTURES);
    expect(report.messages).toBe(130);
    expect(report.suspicious).toEqual([]);
  });
});
