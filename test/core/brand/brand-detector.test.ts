import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { dmarcResults } from '../../../src/core/brand/auth-results.js';
import { brand, brandMail, brandOnly, checkerOf, inspectBrand } from '../../helpers/brand-mail.js';
import { corpusMail } from '../../helpers/from-corpus.js';

const catalog = [
  brand('apple', ['Apple', 'アップル', 'Apple ID'], ['apple.com', 'icloud.com']),
  brand('amazon', ['Amazon', 'アマゾン', 'Amazon.co.jp'], ['amazon.co.jp', 'amazon.com', 'amzn.to']),
  brand('smbc-card', ['三井住友カード', 'Vpass'], ['smbc-card.com', 'vpass.ne.jp'], { senders: ['otp-auth.net'] }),
  brand('visa', ['Visa'], ['visa.com', 'visa.co.jp']),
  brand('rakuten', ['楽天', 'Rakuten'], ['rakuten.co.jp']),
  brand('google', ['Google'], ['google.com'], { mailboxes: ['gmail.com'] }),
];
const checker = checkerOf(catalog);

const codes = async (mail: Buffer, c = checker, mailFrom?: string) => brandOnly(await inspectBrand(mail, c, mailFrom)).map((f) => `${f.code}:${f.severity}`);

describe('display-name spoofing', () => {
  it('reads like the issue: name, domain and how the domain imitates the brand', async () => {
    const v = await inspectBrand(brandMail({ from: '"Apple サポート" <support@appie-support.com>', text: 'お知らせです。' }), checker);
    const f = brandOnly(v).find((x) => x.code === 'display-name');
    expect(f?.summary).toBe('From name "Apple サポート" but domain appie-support.com (lookalike of apple.com: l→i, in appie-support.com)');
    expect(f).toMatchObject({ severity: 'high', evidence: { brand: 'apple', domain: 'appie-support.com', how: 'typo' } });
    expect(v.verdict).toBe('malicious');
  });

  it('a brand name from an unrelated domain is suspicious; with account pressure it is malicious', async () => {
    expect(await codes(brandMail({ from: 'Amazon.co.jp <info@mailer-service.example>', text: 'セール情報' }))).toEqual(['display-name:medium']);
    expect(await codes(brandMail({ from: 'Amazon.co.jp <info@mailer-service.example>', text: 'お支払い方法を更新してください。' }))).toEqual(['display-name:high']);
  });

  it('full-width display names are read after NFKC', async () => {
    expect(await codes(brandMail({ from: '"Ａｍａｚｏｎ" <no-reply@mailer-service.example>', text: 'x' }))).toEqual(['display-name:medium']);
  });

  it('the brand itself, its partners and co-brands are not spoofing', async () => {
    expect(await codes(brandMail({ from: 'Amazon.co.jp <auto-confirm@amazon.co.jp>', text: 'ご注文ありがとうございます' }))).toEqual([]);
    expect(await codes(brandMail({ from: '三井住友カード <info@otp-auth.net>', text: 'ワンタイムパスワード' }))).toEqual([]);
    // An issuer's card carries the network's name: the issuer's own domain speaks for both.
    expect(await codes(brandMail({ from: '三井住友カード Visa <info@vpass.ne.jp>', text: 'ご利用明細' }))).toEqual([]);
  });

  it('a shop on a marketplace naming the marketplace is only a low note', async () => {
    expect(await codes(brandMail({ from: '"山田屋 楽天市場店" <shop@yamadaya.example>', text: '発送しました' }))).toEqual(['display-name:low']);
  });

  it('anyone can name a free mailbox after its provider', async () => {
    const v = await inspectBrand(brandMail({ from: 'Google Security <google.security.team@gmail.com>', text: 'x' }), checker);
    expect(brandOnly(v).map((f) => [f.code, f.severity, f.summary])).toEqual([
      ['display-name', 'medium', 'From name "Google Security" but domain gmail.com is a public mailbox service anyone can get an address at'],
    ]);
  });

  it('an address written in the display name that is a brand\'s', async () => {
    const v = await inspectBrand(brandMail({ from: '"support@apple.com" <x@mailer-service.example>', text: 'x' }), checker);
    expect(brandOnly(v).map((f) => [f.code, f.severity, f.summary])).toEqual([
      ['display-name-address', 'high', 'From name shows an address at apple.com (Apple) but the mail is from mailer-service.example'],
    ]);
  });

  it('an address in the display name with zero-width characters in it reads as the reader sees it', async () => {
    const v = await inspectBrand(brandMail({ from: '"support@ap\u200bple.c\u2060om" <x@mailer-service.example>', text: 'x' }), checker);
    expect(brandOnly(v).map((f) => f.code)).toContain('display-name-address');
  });
});

describe('display names as clients show them (every text of From and Sender, every sender domain)', () => {
  /** A mail with these header fields (UTF-8, "\n" between fields) and a neutral body. */
  const withHeader = (header: string, mailFrom?: string, c = checker) => inspectBrand(corpusMail({ id: 'x', header }), c, mailFrom);
  const summaries = async (header: string, mailFrom?: string) => brandOnly(await withHeader(header, mailFrom)).map((f) => `${f.code}:${f.severity} ${f.summary}`);

  it("a brand in any text is spoofed by any domain of the field that is not the brand's", async () => {
    expect(await summaries('From: Apple <>, x@evil.example')).toEqual(["display-name:medium From name \"Apple\" but domain evil.example is not Apple's"]);
    expect(await summaries('From: "Apple" <no_reply@apple.com>, x@evil.example')).toEqual(["display-name:medium From name \"Apple\" but domain evil.example is not Apple's"]);
    expect(await summaries('From: Apple <no_reply@apple.com>\nFrom: Apple <x@evil.example>')).toEqual(["display-name:medium From name \"Apple\" but domain evil.example is not Apple's"]);
    expect(await summaries('From: Apple <no_reply@apple.com>, Apple ID <id@apple.com>')).toEqual([]);
  });

  it('a field with no address is judged by the other field, then MAIL FROM; with none at all it says so', async () => {
    expect(await summaries('From: Apple <>\nSender: s@evil.example')).toEqual(["display-name:medium From name \"Apple\" but domain evil.example is not Apple's"]);
    expect(await summaries('From: Apple ID:;', 'bounce@mailer.example')).toEqual(["display-name:medium From name \"Apple ID\" but domain mailer.example is not Apple's"]);
    expect(await summaries('From: Apple ID:;', '')).toEqual(['display-name:medium From name "Apple ID" but the mail gives no sender address']);
  });

  it("the brand in Sender only is a spoof; a Sender naming the brand of a From that is the brand's own is its mailing service", async () => {
    expect(await summaries('From: service@evil.example\nSender: "Apple" <service@evil.example>')).toEqual(["display-name:medium Sender name \"Apple\" but domain evil.example is not Apple's"]);
    expect(await summaries('From: Apple <news@insideapple.apple.com>\nSender: "Apple" <bounces@esp.example>')).toEqual([]);
    expect(await summaries('From: Apple <news@apple.com>\nSender: "support@apple.com" <bounces@esp.example>')).toEqual([]);
  });

  it('a partner brand named in a comment is the issuer speaking, like one named in the phrase', async () => {
    expect(await summaries('From: =?UTF-8?B?5LiJ5LqV5L2P5Y+L44Kr44O844OJ?= <info@vpass.ne.jp> (Visa)')).toEqual([]);
  });

  it('the worst reading of the brand counts: "Tom Amazon" is a person, "(Amazon)" beside it is not', async () => {
    expect(await summaries('From: Tom Amazon <tom@family.example>')).toEqual([expect.stringMatching(/^display-name:low /)]);
    expect(await summaries('From: Tom Amazon <tom@family.example> (Amazon)')).toEqual(["display-name:medium From name \"Amazon\" but domain family.example is not Amazon's"]);
  });

  it('raw 8-bit bytes that are not UTF-8 are read as a Western client shows them too', async () => {
    const mail = Buffer.concat([Buffer.from('From: "\xC0pple" <x@evil.example>\r\n', 'latin1'), corpusMail({ id: 'x', header: 'X-Test: 1' })]);
    expect(brandOnly(await inspectBrand(mail, checker)).map((f) => `${f.code}:${String(f.evidence.brand)}`)).toEqual(['display-name:apple']);
  });

  it('says how the name reads when the screen shows something else than the bytes', async () => {
    const v = await withHeader('From: "\u202EelppA\u202C" <x@evil.example>');
    expect(brandOnly(v)[0]).toMatchObject({ summary: 'From name "elppA" (read as "Apple") but domain evil.example is not Apple\'s', evidence: { name: 'elppA', read: 'Apple', field: 'From' } });
  });

  it("a full-width or ideographic-dot domain reads as the brand's and is nobody's own", async () => {
    expect(await summaries('From: Apple <support@ａｐｐｌｅ．ｃｏｍ>')).toEqual(["display-name:medium From name \"Apple\" but domain ａｐｐｌｅ．ｃｏｍ is not Apple's"]);
    expect(await summaries('From: support@ａｐｐｌｅ．ｃｏｍ')).toEqual(['display-name-address:high From name shows an address at apple.com (Apple) but the mail is from ａｐｐｌｅ．ｃｏｍ']);
    expect(await summaries('From: Apple <no_reply@APPLE.com.>')).toEqual([]);
  });

  it("a name-less mailbox shows its address: a brand's beside another is a name showing an address", async () => {
    expect(await summaries('From: <first@evil.example>, <no_reply@apple.com>')).toEqual(['display-name-address:high From name shows an address at apple.com (Apple) but the mail is from evil.example']);
    expect(await summaries('From: <@evil.example:no_reply@apple.com>')).toEqual(['display-name-address:high From name shows an address at apple.com (Apple) but the mail is from evil.example']);
    // Its own lookalike address is a sender lookalike, not a name showing someone else's.
    expect(await summaries('From: s@smbc-card.xizim.com')).toEqual([expect.stringMatching(/^sender-lookalike:high /)]);
    // An address shown is not a name: the .au of an Australian list is not the brand au.
    const au = checkerOf([brand('au', ['au'], ['au.com'])]);
    expect(brandOnly(await withHeader('From: "Bob" <bob@corp.example>\nSender: <owner-list@lists.example.net.au>', undefined, au))).toEqual([]);
    expect(brandOnly(await withHeader('From: "au" <owner-list@lists.example.net.au>', undefined, au)).map((f) => f.code)).toEqual(['display-name']);
  });

  it("an official mailbox added to a spoofing From does not make it the brand's mail (lure and links still judged)", async () => {
    const v = await withHeader('From: Apple <x@evil.example>, <no_reply@apple.com>');
    const lure = brandMail({ from: 'Apple <x@evil.example>', text: 'アカウントが停止されました。本人確認はこちら https://evil.example/login' });
    const twoMailboxes = Buffer.from(lure.toString('latin1').replace('From: Apple <x@evil.example>', 'From: Apple <x@evil.example>, <no_reply@apple.com>'), 'latin1');
    expect(brandOnly(v).map((f) => f.code)).toContain('display-name');
    expect(brandOnly(await inspectBrand(twoMailboxes, checker)).map((f) => f.code)).toContain('lure');
  });
});

describe('sender lookalikes', () => {
  it('From, Reply-To, Sender and MAIL FROM are each judged', async () => {
    const mail = brandMail({ from: 'Notice <a@amaz0n.co.jp>', replyTo: 'r@apple.com.verify-id.net', sender: 's@smbc-card.xizim.com', text: 'x' });
    const v = await inspectBrand(mail, checker, 'bounce@аpple.com');
    expect(brandOnly(v).map((f) => `${String(f.evidence.field)} ${f.code}:${f.severity} ${f.summary}`)).toEqual([
      'From sender-lookalike:high From domain amaz0n.co.jp is a lookalike of amazon.co.jp: amaz0n reads as amazon',
      'Reply-To sender-lookalike:high Reply-To domain apple.com.verify-id.net is a lookalike of apple.com: apple.com put in front of verify-id.net',
      'Sender sender-lookalike:high Sender domain smbc-card.xizim.com is a lookalike of smbc-card.com: smbc-card put in front of xizim.com',
      'MAIL FROM sender-lookalike:high MAIL FROM domain аpple.com is a lookalike of apple.com: аpple looks like apple (look-alike characters)',
    ]);
  });

  it('an 8-bit From read two ways (Shift_JIS and windows-1252) is still one sender: one finding, not two', async () => {
    const sjis = Buffer.from([0x93, 0x63, 0x92, 0x86, 0x8f, 0xa4, 0x8e, 0x96]).toString('latin1'); // 田中商事 in Shift_JIS
    const mail = brandMail({ from: 'x@example.net', text: 'hello' }).toString('latin1').replace('From: x@example.net', `From: ${sjis} <info@appie.com>`);
    expect(await codes(Buffer.from(mail, 'latin1'))).toEqual(['sender-lookalike:medium']);
  });

  it('a typo domain is suspicious alone and malicious when the mail names the brand', async () => {
    expect(await codes(brandMail({ from: 'Info <info@appie.com>', text: 'hello' }))).toEqual(['sender-lookalike:medium']);
    expect(await codes(brandMail({ from: 'Info <info@appie.com>', text: 'Your Apple ID' }))).toEqual(['sender-lookalike:high']);
  });

  it('a slip from a short name under an open suffix: low alone, medium beside a lure or the brand\'s own links', async () => {
    const dhl = checkerOf([brand('dhl', ['DHL'], ['dhl.com'])]);
    expect(await codes(brandMail({ from: 'Billing <billing@dhk.com>', text: '請求書を送付いたします。' }), dhl)).toEqual(['sender-lookalike:low']);
    expect(await codes(brandMail({ from: 'Billing <billing@dhk.com>', text: 'お支払い情報の更新をお願いいたします。' }), dhl)).toEqual(['sender-lookalike:medium']);
    const copied = '<a href="https://dhk.com/track">追跡</a> <img src="https://www.dhl.com/logo.png"> <a href="https://www.dhl.com/privacy">プライバシー</a>';
    expect(await codes(brandMail({ from: 'a@news.example', html: copied }), dhl)).toEqual(['link-lookalike:medium']);
    expect(await codes(brandMail({ from: 'a@news.example', html: '<a href="https://dhk.com/track">追跡</a>' }), dhl)).toEqual([]);
  });

  it('a brand word in a longer name counts only when the mail claims the brand', async () => {
    expect(await codes(brandMail({ from: 'Recipes <news@apple-recipes.com>', text: 'apple pie' }))).toEqual(['sender-lookalike:low']);
    expect(await codes(brandMail({ from: 'Apple <news@apple-recipes.com>', text: 'x' }))).toEqual(['display-name:high', 'sender-lookalike:high']);
  });
});

describe('links', () => {
  it('a link to a lookalike: high when the mail names the brand, medium otherwise', async () => {
    expect(await codes(brandMail({ from: 'a@news.example', subject: 'Amazon', text: 'https://amazon-co-jp.xyz/signin' }))).toEqual(['link-lookalike:high']);
    expect(await codes(brandMail({ from: 'a@news.example', text: 'https://amazon-co-jp.xyz/signin' }))).toEqual(['link-lookalike:medium']);
  });

  it('possible lookalikes only in mail naming the brand, and low unless it also pressures', async () => {
    expect(await codes(brandMail({ from: 'a@news.example', text: 'https://pineapple.example.com/ https://apple.xyz/' }))).toEqual([]);
    expect(await codes(brandMail({ from: 'a@news.example', text: 'Apple: https://apple.xyz/' }))).toEqual(['link-lookalike:low']);
  });

  it('link text showing a brand\'s domain while the href goes elsewhere', async () => {
    const html = '<p>ログインはこちら <a href="https://secure-login.example/amazon">https://www.amazon.co.jp/</a></p>';
    const v = await inspectBrand(brandMail({ from: 'a@news.example', html }), checker);
    expect(brandOnly(v).map((f) => [f.code, f.severity, f.summary])).toEqual([
      ['link-text-mismatch', 'high', 'Link shows www.amazon.co.jp (Amazon) but goes to secure-login.example'],
    ]);
  });

  it('the brand\'s own mail routing clicks through a tracker is only a low note', async () => {
    const html = '<a href="https://click.tracker.example/abc">www.amazon.co.jp</a>';
    expect(await codes(brandMail({ from: 'Amazon.co.jp <store-news@amazon.co.jp>', html }))).toEqual(['link-text-mismatch:low']);
  });

  it('Microsoft Safe Links are unwrapped: a wrapped official link is clean, a wrapped lookalike is caught', async () => {
    const wrap = (url: string) => `https://apc01.safelinks.protection.outlook.com/?url=${encodeURIComponent(url)}&data=05%7C01&reserved=0`;
    expect(await codes(brandMail({ from: 'a@corp.example', text: `Amazon の注文: ${wrap('https://www.amazon.co.jp/gp/css/order-history')}` }))).toEqual([]);
    expect(await codes(brandMail({ from: 'a@corp.example', text: `Amazon の注文: ${wrap('https://amazon-co-jp.xyz/login')}` }))).toEqual(['link-lookalike:high']);
  });

  it('the lure: a claimed brand, account pressure and links off the brand\'s domains', async () => {
    const mail = brandMail({
      from: 'Customer Center <info@mail-center.example>',
      subject: '【三井住友カード】ご利用確認のお願い',
      text: '不正利用の可能性があるため、ご利用を一時停止しております。https://secure-check.example/login より本人確認をお願いします。',
    });
    const v = await inspectBrand(mail, checker);
    expect(brandOnly(v).map((f) => [f.code, f.severity, f.summary])).toEqual([
      ['lure', 'medium', 'Claims to be 三井住友カード, asks about 本人確認, 不正利用/異常, 利用停止 and links to secure-check.example'],
    ]);
    expect(v.verdict).toBe('suspicious');
  });

  it('the lure is read in a Subject written in raw Shift_JIS or EUC-JP bytes too, as old Japanese mailers send it', async () => {
    const mail = brandMail({
      from: 'Customer Center <info@mail-center.example>',
      subject: 'placeholder',
      text: '不正利用の可能性があるため、ご利用を一時停止しております。https://secure-check.example/login より本人確認をお願いします。',
    });
    for (const charset of ['shift_jis', 'euc-jp']) {
      const at = mail.indexOf('Subject: ');
      const end = mail.indexOf('\r\n', at);
      const raw = Buffer.concat([mail.subarray(0, at), Buffer.from('Subject: '), iconv.encode('【三井住友カード】ご利用確認のお願い', charset), mail.subarray(end)]);
      expect(await codes(raw), charset).toEqual(['lure:medium']);
    }
  });

  it('no lure when the brand itself sends it, or when nothing pressures', async () => {
    expect(await codes(brandMail({ from: 'Vpass <info@vpass.ne.jp>', subject: '【三井住友カード】本人確認のお願い', text: 'https://www.smbc-card.com/ https://survey.example/' }))).toEqual([]);
    expect(await codes(brandMail({ from: 'shop@store.example', subject: '楽天ポイントが貯まる', text: 'https://store.example/campaign' }))).toEqual([]);
  });

  it('shorteners and IP addresses hide the destination in mail claiming a brand (From name or subject)', async () => {
    expect(await codes(brandMail({ from: 'a@news.example', subject: 'Amazon', text: 'https://bit.ly/3abc http://203.0.113.9/signin' }))).toEqual(['hidden-destination:low', 'ip-link:medium']);
    expect(await codes(brandMail({ from: 'a@news.example', subject: 'Amazon アカウント停止', text: 'https://bit.ly/3abc http://203.0.113.9/signin' }))).toEqual([
      'lure:medium',
      'hidden-destination:medium',
      'ip-link:high',
    ]);
    // The brand's own shortener is the brand's.
    expect(await codes(brandMail({ from: 'a@news.example', subject: 'Amazon', text: 'https://amzn.to/3abc' }))).toEqual([]);
    // No brand named: a shortener in a newsletter is not this detector's business.
    expect(await codes(brandMail({ from: 'a@news.example', text: 'https://bit.ly/3abc' }))).toEqual([]);
    // A list post that only mentions a brand in its text claims nothing.
    expect(await codes(brandMail({ from: 'a@lists.example', subject: 'Re: mail server tuning', text: 'Microsoft Exchange does the same, see http://203.0.113.9/notes' }))).toEqual([]);
  });
});

describe('allowlists', () => {
  it('site-wide allowed domains are never judged, as sender or link', async () => {
    const allow = checkerOf(catalog, { allowDomains: ['apple-fan-club.example'] });
    const mail = brandMail({ from: 'Apple Fan Club <news@apple-fan-club.example>', text: 'Apple event https://www.apple-fan-club.example/' });
    expect(await codes(mail)).toEqual(['display-name:high', 'sender-lookalike:high', 'link-lookalike:low']);
    expect(await codes(mail, allow)).toEqual([]);
  });

  it('a brand extended with the admin\'s own sending partner', async () => {
    const mail = brandMail({ from: '楽天カード <info@mail-vendor.example>', text: 'ご利用明細' });
    expect(await codes(mail)).toEqual(['display-name:medium']);
    const extended = checkerOf(catalog.map((b) => (b.id === 'rakuten' ? { ...b, senders: ['mail-vendor.example'] } : b)));
    expect(await codes(mail, extended)).toEqual([]);
  });
});

describe('the authentication seam', () => {
  const ar = 'Authentication-Results: mx.example.jp; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail (p=reject dis=none) header.from=apple.com';

  it('reads DMARC results, comments dropped', () => {
    expect(dmarcResults(['mx.example.jp 1; dmarc=fail (p=reject) header.from=apple.com; spf=pass'])).toEqual([
      { authservId: 'mx.example.jp', result: 'fail', headerFrom: 'apple.com' },
    ]);
  });

  it('a brand domain failing DMARC at a trusted host is exact-domain spoofing', async () => {
    const mail = brandMail({ from: 'Apple <no_reply@apple.com>', text: 'x', headers: [ar] });
    expect(await codes(mail)).toEqual([]);
    const trusting = checkerOf(catalog, { trustedAuthservIds: ['mx.example.jp'] });
    const v = await inspectBrand(mail, trusting);
    expect(brandOnly(v).map((f) => [f.code, f.severity, f.summary])).toEqual([
      ['dmarc-fail', 'high', "From domain apple.com is Apple's but failed DMARC at mx.example.jp"],
    ]);
    // Somebody else's header claiming DMARC failed proves nothing.
    const other = brandMail({ from: 'Apple <no_reply@apple.com>', text: 'x', headers: [ar.replace('mx.example.jp', 'attacker.example')] });
    expect(brandOnly(await inspectBrand(other, trusting))).toEqual([]);
  });
});

describe('bounds', () => {
  it('a newsletter of 300 lookalike links gives at most 20 findings, the worst first', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `https://amazon-co-jp-${i}.xyz/`).join('\n');
    const v = await inspectBrand(brandMail({ from: 'Amazon <x@amaz0n.co.jp>', text }), checker);
    const found = brandOnly(v);
    expect(found).toHaveLength(20);
    expect(found.every((f) => f.severity === 'high')).toBe(true);
    expect(found[0]?.code).toBe('display-name');
  });

  it('an attached message is not the mail\'s own sender or text', async () => {
    const inner = brandMail({ from: 'Amazon <x@amaz0n.co.jp>', text: 'https://amazon-co-jp.xyz/' }).toString('latin1');
    const outer = [
      'From: user@corp.example',
      'To: security@corp.example',
      'Subject: Fwd: phish',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'Please look at the attached mail.',
      '--b',
      'Content-Type: message/rfc822',
      '',
      inner,
      '--b--',
      '',
    ].join('\r\n');
    expect(await codes(Buffer.from(outer, 'latin1'))).toEqual([]);
  });
});
