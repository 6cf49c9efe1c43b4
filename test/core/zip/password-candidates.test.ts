import { describe, expect, it } from 'vitest';
import { passwordCandidates } from '../../../src/core/zip/password-candidates.js';

const MAX = 20;
/** The candidates one text states, without an admin list. */
function stated(text: string): string[] {
  return passwordCandidates([text], [], MAX);
}

describe('passwordCandidates: Emotet-era Japanese wording', () => {
  it('「」 quotes after は', () => {
    expect(stated('添付ファイルのパスワードは「Kz8#pQ」です。')).toEqual(['Kz8#pQ']);
  });

  it('full-width colon, ideographic space and full-width letters (NFKC)', () => {
    expect(stated('パスワード：　ｘＹ７７ｚ')).toEqual(['xY77z']);
  });

  it('sent "separately", then the password alone under a line that says パスワード', () => {
    expect(stated('※解凍パスワードは別メールにてお送りします。\nパスワード\n  abc-1234')).toEqual(['abc-1234']);
  });

  it('PW: sa', () => {
    expect(stated('PW: sa')).toEqual(['sa']);
  });

  it('a realistic PPAP body', () => {
    const body = [
      'お世話になっております。',
      '株式会社サンプルの山田です。',
      '',
      '先日ご依頼いただいた見積書を送付いたします。',
      '添付ファイルはパスワード付きZIPで暗号化しております。',
      '',
      'ファイル名：見積書_20201105.zip',
      'パスワード：Qw3rT9',
      '',
      'ご確認のほどよろしくお願いいたします。',
    ].join('\r\n');
    expect(stated(body)).toEqual(['Qw3rT9']);
  });
});

describe('passwordCandidates: phrasings', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['パスワード：abc123', 'abc123'],
    ['パスワード: abc123', 'abc123'],
    ['パスワード:abc123', 'abc123'],
    ['パスワード=abc123', 'abc123'],
    ['パスワードは「abc123」です', 'abc123'],
    ['パスワードは『abc123』です。', 'abc123'],
    ['パスワードは abc123 です', 'abc123'],
    ['パスワードはabc123です。', 'abc123'],
    ['パスワードは、abc123', 'abc123'],
    ['パスワードは、abc123。', 'abc123'],
    ['パスワードは：abc123', 'abc123'],
    ['解凍パスワード：abc123', 'abc123'],
    ['解凍用パスワード：abc123', 'abc123'],
    ['解凍用パスワードは「abc123」になります', 'abc123'],
    ['パスワード【abc123】', 'abc123'],
    ['パスワード 【abc123】', 'abc123'],
    ['パスワード　abc123', 'abc123'],
    ['パスワード（半角英数）：abc123', 'abc123'],
    ['パスワード(半角):abc123', 'abc123'],
    ['パスワードは次のとおりです：abc123', 'abc123'],
    ['暗証番号：1234', '1234'],
    ['暗証番号は「0000」です', '0000'],
    ['パス：abc123', 'abc123'],
    ['パスコード：9876', '9876'],
    ['PW：abc123', 'abc123'],
    ['ＰＷ：ａｂｃ１２３', 'abc123'],
    ['PW:abc123', 'abc123'],
    ['pw = abc123', 'abc123'],
    ['password: abc123', 'abc123'],
    ['Password: abc123.', 'abc123'],
    ['PASSWORD:abc123', 'abc123'],
    ['Password is abc123', 'abc123'],
    ['Password is abc123, thanks.', 'abc123'],
    ['The password is: abc123', 'abc123'],
    ['pass: abc123', 'abc123'],
    ['Pass=abc123', 'abc123'],
    ['pwd=abc123', 'abc123'],
    ['pwd: abc123', 'abc123'],
    ['passwd: abc123', 'abc123'],
    ['passcode: 4711', '4711'],
    ['The password for the attachment is "abc123"', 'abc123'],
    ['The password for the attachment is "abc123".', 'abc123'],
    ['The password for invoice_0423.zip is 7741', '7741'],
    ['The password to open the document: abc123', 'abc123'],
    ['Document password is “abc123”', 'abc123'],
    ["Password is 'abc123'", 'abc123'],
    ['Password "abc 123"', 'abc 123'],
    ['password: (abc123)', 'abc123'],
    ['password: <abc123>', 'abc123'],
    ['パスワード《abc123》', 'abc123'],
    ['パスワード（abc123）', 'abc123'],
    ['パスワード：「abc123」', 'abc123'],
    ['パスワード: [abc123]', 'abc123'],
    ['パスワード：abc123（半角英数字）', 'abc123'],
    ['パスワード：abc123 (半角)', 'abc123'],
    ['パスワード：abc123、よろしくお願いします', 'abc123'],
    ['パスワード：abc123．', 'abc123'],
    ['パスワード：a!b@c#1$2%3', 'a!b@c#1$2%3'],
    ['パスワードは「パス　ワード」です', 'パス ワード'],
    ['Subject: 請求書送付の件（パスワード：2020Nov）', '2020Nov'],
    ['【パスワード】abc123', 'abc123'],
    ['【パスワード】 abc123', 'abc123'],
    ['[パスワード] abc123', 'abc123'],
    ['＜パスワード＞abc123', 'abc123'],
    ['■パスワード■abc123', 'abc123'],
    ['[PW] abc123', 'abc123'],
    ['【PW】：abc123', 'abc123'],
    ['PWは「abc123」です', 'abc123'],
    ['PWはabc123です', 'abc123'],
    ['パスワード ： abc123', 'abc123'],
    ['Zip password: abc123 (case sensitive)', 'abc123'],
  ];
  for (const [text, password] of cases) {
    it(`${text} → ${password}`, () => {
      expect(stated(text)).toEqual([password]);
    });
  }
});

describe('passwordCandidates: the password on the next line', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['パスワード\nabc123', 'abc123'],
    ['パスワード：\n\n  abc123  \n', 'abc123'],
    ['パスワードは以下のとおりです。\nabc123', 'abc123'],
    ['パスワードは以下の通りです\r\n\r\n「abc123」', 'abc123'],
    ['パスワードは下記になります。\n\tabc123 （半角英数字）', 'abc123'],
    ['パスワードを別途お送りします。\nabc-123', 'abc-123'],
    ['■パスワード\n　ｘＹ７７ｚ', 'xY77z'],
    ['Password:\nabc123', 'abc123'],
    ['The password is as follows:\nabc123', 'abc123'],
    ['Password below.\nabc123', 'abc123'],
    ['PW:\r\nabc123', 'abc123'],
    ['【パスワード】\nabc123', 'abc123'],
    ['[Password]\nabc123', 'abc123'],
  ];
  for (const [text, password] of cases) {
    it(`${JSON.stringify(text)} → ${password}`, () => {
      expect(stated(text)).toEqual([password]);
    });
  }

  it('a sentence on the next line is no password', () => {
    expect(stated('パスワードは以下のとおりです。\nPlease see the other mail.')).toEqual([]);
    expect(stated('Password:\nsee below')).toEqual([]);
    expect(stated('パスワード\nhttps://example.com/pw')).toEqual([]);
    expect(stated('パスワードは以下のとおりです。\nよろしくお願いします。')).toEqual([]);
  });

  it('an ordinary sentence mentioning a password announces nothing', () => {
    expect(stated('パスワードの有効期限が近づいています。\n2024-01-01まで')).toEqual([]);
    expect(stated('I will pass\nthe document on')).toEqual([]);
    expect(stated('Reset your password\nhere: abcdef')).toEqual([]);
  });

  it('the next line is searched past a few blank lines only', () => {
    expect(stated(`パスワード${'\n'.repeat(4)}abc123`)).toEqual(['abc123']);
    expect(stated(`パスワード${'\n'.repeat(20)}abc123`)).toEqual([]);
  });
});

describe('passwordCandidates: what is not a stated password', () => {
  const none = [
    'パスワードは別メールにてお送りします。',
    'パスワードは後ほどお送りします',
    'パスワードをお忘れの方はこちら',
    'パスワード付きZIPファイルを送付します。',
    'The password is sent separately.',
    'The password will be sent in a separate email.',
    'password protected',
    'Password required',
    'Enter your password to continue',
    'Forgot password?',
    'pwned: 3',
    'passport: TR1234567',
    'bypass: abc',
    'upw: abc',
    'パスポート：TR1234567',
    'パスタ：abc',
    'PW:',
    'Password: "',
    `Password: ${'a'.repeat(65)}`,
    `パスワード「${'a'.repeat(65)}」`,
    '',
  ];
  for (const text of none) {
    it(JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text), () => {
      expect(stated(text)).toEqual([]);
    });
  }

  it('64 characters is still a password', () => {
    expect(stated(`Password: ${'a'.repeat(64)}`)).toEqual(['a'.repeat(64)]);
  });
});

describe('passwordCandidates: order, dedupe, limits', () => {
  it('stated candidates in order of appearance across texts, then the admin list, deduplicated', () => {
    const subject = '【PW：subj1】請求書';
    const plain = 'パスワード：body1\nPW: body2\npassword: subj1';
    const html = 'パスワードは「html1」です。 パスワード：body1';
    expect(passwordCandidates([subject, plain, html], ['infected', 'body2', 'admin1'], MAX)).toEqual([
      'subj1',
      'body1',
      'body2',
      'html1',
      'infected',
      'admin1',
    ]);
  });

  it('several passwords on one line, in order', () => {
    expect(stated('ID: user01 パスワード: pw01 / PW: pw02')).toEqual(['pw01', 'pw02']);
  });

  it('at most max in total, stated ones first', () => {
    const text = Array.from({ length: 30 }, (_, i) => `パスワード：p${i}`).join('\n');
    const got = passwordCandidates([text], ['admin'], 5);
    expect(got).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(passwordCandidates(['PW: one'], ['a', 'b', 'c'], 3)).toEqual(['one', 'a', 'b']);
    expect(passwordCandidates(['PW: one'], ['a'], 0)).toEqual([]);
    expect(passwordCandidates([], ['a', '', 'a', 'b'], 10)).toEqual(['a', 'b']);
  });

  it('only the first 256 KiB of each text is scanned', () => {
    const filler = 'x'.repeat(256 * 1024);
    expect(stated(`${filler}\nパスワード：late`)).toEqual([]);
    expect(stated(`${'x'.repeat(1000)}\nパスワード：early\n${filler}`)).toEqual(['early']);
  });

  it('the first 1,000 keywords of each text are read, the next texts afresh', () => {
    const decoys = 'パスワードについて\n'.repeat(999);
    expect(stated(`${decoys}パスワード：last`)).toEqual(['last']);
    expect(stated(`${decoys}パスワードについて\nパスワード：hidden`)).toEqual([]);
    expect(passwordCandidates([`${decoys}パスワードについて`, 'パスワード：next'], [], MAX)).toEqual(['next']);
  });

  it('a run of printable ASCII longer than 256 characters on the next line is no password, however it ends', () => {
    // (On the keyword's own line the 256-character window after it bounds the run already.)
    expect(stated(`パスワードは以下の通りです\n\nabc${')'.repeat(250)}`)).toEqual(['abc']);
    expect(stated(`パスワードは以下の通りです\n\nabc${')'.repeat(300)}`)).toEqual([]);
  });

  it('a hostile text full of keywords yields at most the allowed number of candidates', () => {
    const hostile = 'パスワード'.repeat(20_000) + 'PW: '.repeat(20_000) + 'password is '.repeat(10_000);
    const found = passwordCandidates([hostile, `${'パスワード\n'.repeat(40_000)}`], [], MAX);
    expect(found.length).toBeLessThanOrEqual(MAX);
  });
});
