import { describe, expect, it } from 'vitest';
import { loadConfusables } from '../../../src/brand/load-confusables.js';
import { BrandIndex } from '../../../src/core/brand/brand-index.js';
import { NameMatcher } from '../../../src/core/brand/brand-names.js';
import { credentialWords, lurePhrases } from '../../../src/core/brand/lure.js';
import { addressesInName, parseAddressField } from '../../../src/message/mailbox.js';
import { brand } from '../../helpers/brand-mail.js';

const index = new BrandIndex(
  [
    brand('apple', ['Apple', 'アップル', 'Apple ID'], ['apple.com'], { keywords: ['iPhone'] }),
    brand('amazon', ['Amazon', 'アマゾン'], ['amazon.co.jp']),
    brand('line', ['LINE'], ['line.me'], { case_sensitive: ['LINE'] }),
    brand('au', ['au'], ['au.com']),
    brand('chibabank', ['千葉銀行', 'ちばぎん'], ['chibabank.co.jp']),
  ],
  loadConfusables(),
);
const names = new NameMatcher(index, false);
const mentions = new NameMatcher(index, true);
const ids = (text: string, m = names) => m.find(text).map((n) => n.brand);

describe('NameMatcher', () => {
  it('finds Latin names as words in any capitalisation but the all-lower-case ordinary word', () => {
    expect(ids('Apple サポート')).toEqual(['apple']);
    expect(ids('APPLE ID Support')).toEqual(['apple']);
    expect(ids('apple pie recipes')).toEqual([]);
    expect(ids('Pineapple news')).toEqual([]);
    expect(ids('Amazonからのお知らせ')).toEqual(['amazon']);
  });

  it('reads full-width and half-width forms after NFKC', () => {
    expect(ids('Ａｍａｚｏｎ．ｃｏ．ｊｐ')).toEqual(['amazon']);
    expect(ids('ｱﾏｿﾞﾝ カスタマーサービス')).toEqual(['amazon']);
  });

  it('matches case-sensitive and short names exactly', () => {
    expect(ids('LINE株式会社')).toEqual(['line']);
    expect(ids('on line support')).toEqual([]);
    expect(ids('au お客さまセンター')).toEqual(['au']);
    expect(ids('AU Small Finance')).toEqual([]);
    expect(ids('beau')).toEqual([]);
  });

  it('finds Japanese names inside longer text', () => {
    expect(ids('【千葉銀行】お客様情報の確認')).toEqual(['chibabank']);
    expect(ids('ちばぎんアプリ')).toEqual(['chibabank']);
  });

  it('keywords count in bodies, not in display names', () => {
    expect(ids('iPhone ユーザー様')).toEqual([]);
    expect(ids('iPhone ユーザー様', mentions)).toEqual(['apple']);
  });
});

describe('lurePhrases', () => {
  it('finds account and payment pressure in Japanese and English', () => {
    expect(lurePhrases('お客様のアカウントが一時停止されました。本人確認を行ってください')).toEqual(['アカウント停止/制限', '本人確認']);
    expect(lurePhrases('ご利用を一時停止しております。お支払い方法を更新してください')).toEqual(['カード/支払い情報', '利用停止']);
    expect(lurePhrases('Please verify your account: it has been suspended')).toEqual(['verify', 'suspended/locked']);
  });

  it('sign-in words alone are no lure: every "Sign in with Google" mail has them', () => {
    expect(lurePhrases('Googleアカウントでログインしてください。パスワードは不要です')).toEqual([]);
    expect(credentialWords('Googleアカウントでログインしてください。パスワードは不要です')).toEqual(['ログイン', 'パスワード']);
  });

  it('ordinary business mail has none', () => {
    expect(lurePhrases('ご注文ありがとうございます。商品は明日発送予定です。')).toEqual([]);
    expect(lurePhrases('Thanks for the meeting notes, see you next week.')).toEqual([]);
  });
});

describe('mailboxes', () => {
  it('parses names and addresses, decoding encoded-words even inside quotes', () => {
    expect(parseAddressField('"=?UTF-8?B?QXBwbGUg44K144Od44O844OI?=" <support@appie-support.com>').mailboxes).toEqual([
      { name: 'Apple サポート', address: 'support@appie-support.com', domain: 'appie-support.com' },
    ]);
    expect(parseAddressField('a@b.example (Amazon), "Doe, John" <j@c.example>').mailboxes.map((m) => [m.name, m.domain])).toEqual([
      ['Amazon', 'b.example'],
      ['Doe, John', 'c.example'],
    ]);
  });

  it('finds addresses written into a display name', () => {
    expect(addressesInName('support@apple.com')).toEqual(['apple.com']);
    expect(addressesInName('ｓｕｐｐｏｒｔ＠ａｐｐｌｅ．ｃｏｍ')).toEqual(['apple.com']);
    expect(addressesInName('Apple Support')).toEqual([]);
  });
});
