import { describe, expect, it } from 'vitest';
import { extractLinks, visibleHosts, type Link } from '../../../src/core/brand/links.js';

const text = (content: string, limits?: { maxLinks?: number; maxChars?: number }): Link[] =>
  extractLinks([{ kind: 'text', content }], limits);
const html = (content: string, limits?: { maxLinks?: number; maxChars?: number }): Link[] =>
  extractLinks([{ kind: 'html', content }], limits);
const hosts = (links: readonly Link[]): string[] => links.map((l) => l.host);

describe('extractLinks: URLs in text', () => {
  it('finds http(s):// and www. forms and trims sentence punctuation', () => {
    expect(
      text('See https://en.wikipedia.org/wiki/Foo_(bar). Or (https://example.com/a), www.amazon.co.jp.'),
    ).toEqual([
      { url: 'https://en.wikipedia.org/wiki/Foo_(bar)', host: 'en.wikipedia.org', source: 'text' },
      { url: 'https://example.com/a', host: 'example.com', source: 'text' },
      { url: 'www.amazon.co.jp', host: 'www.amazon.co.jp', source: 'text' },
    ]);
  });

  it('stops at Japanese prose glued to a URL, in the path and right after the TLD', () => {
    expect(text('こちらhttps://example.com/loginからログインしてください')).toEqual([
      { url: 'https://example.com/login', host: 'example.com', source: 'text' },
    ]);
    expect(hosts(text('至急https://amazon-co-jp.xyzにアクセスし、https://アマゾン.comへ'))).toEqual([
      'amazon-co-jp.xyz',
      'アマゾン.com',
    ]);
    expect(hosts(text('「https://www.rakuten.co.jp/」をご覧ください'))).toEqual(['www.rakuten.co.jp']);
  });

  it('reads full-width URLs (NFKC) and the ideographic full stop used as a dot', () => {
    expect(text('ご確認はｈｔｔｐｓ：／／ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ／ からお願いします')).toEqual([
      { url: 'https://www.amazon.co.jp/', host: 'www.amazon.co.jp', source: 'text' },
    ]);
    expect(text('amazon。co。jpにログインしてください。ありがとうございます。')).toEqual([
      { url: 'amazon.co.jp', host: 'amazon.co.jp', source: 'text' },
    ]);
    // Zero-width spaces do not hide a domain from the scan (the reader does not see them).
    expect(hosts(text('https://ama\u200bzon-co-jp.xyz/'))).toEqual(['amazon-co-jp.xyz']);
  });

  it('takes bare domains with a public-suffix TLD, with an optional path', () => {
    expect(text('amazon-co-jp.xyz からログイン')).toEqual([
      { url: 'amazon-co-jp.xyz', host: 'amazon-co-jp.xyz', source: 'text' },
    ]);
    expect(text('URL：aupay-jp.com/login?id=1 です')).toEqual([
      { url: 'aupay-jp.com/login?id=1', host: 'aupay-jp.com', source: 'text' },
    ]);
    expect(hosts(text('ＡＭＡＺＯＮ．ＣＯ．ＪＰ をご利用いただき'))).toEqual(['amazon.co.jp']);
  });

  it('does not take file names, addresses, versions or prose as domains', () => {
    const prose = [
      '添付の請求書.xlsx と invoice.pdf をご確認ください',
      '資料.zip と 動画.mov と logo.ai と README.md と run.sh と 議事録.docx',
      'report_2021.csv, v1.2.3, 2021.10.01, Node.js, e.g. this, 3 p.m.',
      'ABC Co.Ltd と Example Inc.Tokyo',
      'お問い合わせは support@amazon.co.jp または taro.yamada@example.co.jp まで',
      'co.jp と example.invalidtld と foo.local',
      'ログインはこちら',
    ];
    for (const p of prose) expect(text(p), p).toEqual([]);
  });

  it('takes .zip and .mov as domains in URL form only', () => {
    expect(hosts(text('https://github.zip/download と www.setup.mov と bare.zip'))).toEqual([
      'github.zip',
      'www.setup.mov',
    ]);
  });

  it('un-defangs security-notice forms and says so', () => {
    expect(text('次のURLにアクセスしないでください: hxxps://amazon-co-jp[.]xyz/signin')).toEqual([
      { url: 'https://amazon-co-jp.xyz/signin', host: 'amazon-co-jp.xyz', source: 'text', defanged: true },
    ]);
    expect(
      hosts(text('hXXp://evil(.)com/a h**ps://bad[dot]net/ phish{.}top example [.] org smbc-card[.]vip')),
    ).toEqual(['evil.com', 'bad.net', 'phish.top', 'example.org', 'smbc-card.vip']);
    expect(text('hxxps[:]//mufg-jp[.]com/').map((l) => [l.url, l.defanged])).toEqual([
      ['https://mufg-jp.com/', true],
    ]);
    // The Japanese bulletin-board "h-less" form.
    expect(text('ttps://www.jaccss.co.jp-service.gotobed.cn/ を踏まないで')).toEqual([
      {
        url: 'https://www.jaccss.co.jp-service.gotobed.cn/',
        host: 'www.jaccss.co.jp-service.gotobed.cn',
        source: 'text',
        defanged: true,
      },
    ]);
    // Not defanged: no flag.
    expect(text('https://www.mufg.jp/')[0]?.defanged).toBeUndefined();
  });

  it('reports the host a browser would contact: userinfo, IDN, trailing dot, case', () => {
    expect(text('https://www.apple.com@evil.example/ja-jp/signin')).toEqual([
      { url: 'https://www.apple.com@evil.example/ja-jp/signin', host: 'evil.example', source: 'text' },
    ]);
    expect(hosts(text('https://www.amazon.co.jp:signin@amazon-verify.top/'))).toEqual([
      'amazon-verify.top',
    ]);
    expect(hosts(text('http://xn--cckwcxetd.com/ HTTPS://WWW.SMBC-CARD.COM./mem/'))).toEqual([
      'アマゾン.com',
      'www.smbc-card.com',
    ]);
  });

  it('normalises IP literal hosts and marks them', () => {
    expect(
      text(
        'http://104.223.15.169/a http://0x68.0xdf.0x0f.0xa9/b http://1759449001/c http://0150.0337.017.0251/d http://[2001:db8::1]/e',
      ).map((l) => [l.host, l.isIp]),
    ).toEqual([
      ['104.223.15.169', true],
      ['104.223.15.169', true],
      ['104.223.15.169', true],
      ['104.223.15.169', true],
      ['[2001:db8::1]', true],
    ]);
    expect(text('https://www.mufg.jp/')[0]?.isIp).toBeUndefined();
  });

  it('flags shorteners, including brands’ own, without resolving them', () => {
    const links = text(
      'https://bit.ly/3AbCdEf https://amzn.to/3xYz https://www.tinyurl.com/abc https://t.co/xyz https://url.au.m.mimecastprotect.com/s/8oK3Cq717ycnrQ7g?domain=example.com https://www.amazon.co.jp/',
    );
    expect(links.map((l) => [l.host, l.shortener ?? false])).toEqual([
      ['bit.ly', true],
      ['amzn.to', true],
      ['www.tinyurl.com', true],
      ['t.co', true],
      ['url.au.m.mimecastprotect.com', true],
      ['www.amazon.co.jp', false],
    ]);
  });

  it('deduplicates and respects maxLinks and maxChars', () => {
    expect(text('https://a.example/ https://a.example/ https://b.example/')).toHaveLength(2);
    expect(text('https://a.example/ https://b.example/ https://c.example/', { maxLinks: 2 })).toHaveLength(2);
    expect(hosts(text('https://a.example/ https://b.example/', { maxChars: 20 }))).toEqual(['a.example']);
    const many = Array.from({ length: 800 }, (_, i) => `https://h${i}.example/`).join(' ');
    expect(text(many)).toHaveLength(500);
  });
});

describe('extractLinks: HTML', () => {
  it('takes navigable targets with their visible text, not the text inside anchors as text links', () => {
    expect(html('<p>ご確認<a href="https://evil.example"><b>https://www.amazon.co.jp</b></a></p>')).toEqual([
      { url: 'https://evil.example', host: 'evil.example', source: 'href', text: 'https://www.amazon.co.jp' },
    ]);
  });

  it('decodes entities in attributes and text and collapses whitespace in link text', () => {
    expect(
      html(
        '<a href="https://evil.example/?a=1&amp;b=2">\n  Amazon&nbsp;&amp;\n <span>Prime</span>\u3000会員 </a>' +
          '<p>https&#58;//evil2&#46;example/login</p>',
      ),
    ).toEqual([
      { url: 'https://evil.example/?a=1&b=2', host: 'evil.example', source: 'href', text: 'Amazon & Prime 会員' },
      { url: 'https://evil2.example/login', host: 'evil2.example', source: 'text' },
    ]);
  });

  it('includes img alt in link text (images are often blocked) and caps text at 500 chars', () => {
    expect(html('<a href="https://x.example/"><img src="logo.png" alt="Amazon.co.jp"></a>')[0]?.text).toBe(
      'Amazon.co.jp',
    );
    expect(html('<a href="https://x.example/"></a>')[0]?.text).toBe('');
    expect(html(`<a href="https://x.example/">${'あ'.repeat(5000)}</a>`)[0]?.text).toHaveLength(500);
  });

  it('reads area, form action, formaction and meta refresh; ignores non-navigable schemes', () => {
    const links = html(
      '<meta http-equiv="Refresh" content="0; URL=\'https://meta.example/\'">' +
        '<map><area href="https://area.example/" alt="ログイン"></map>' +
        '<form action="https://form.example/post"><input type="submit" formaction="https://fa.example/">' +
        '<button formaction="https://fb.example/">送信</button></form>' +
        '<a href="mailto:support@amazon.co.jp">m</a><a href="tel:0120-000-000">t</a>' +
        '<a href="cid:image001.png@01D7">c</a><a href="#top">f</a><a href=" javascript:alert(1)">j</a>' +
        '<a href="data:text/html,x">d</a><a href="/relative">r</a><img src="https://img.example/x.png">',
    );
    expect(links).toEqual([
      { url: 'https://meta.example/', host: 'meta.example', source: 'href' },
      { url: 'https://area.example/', host: 'area.example', source: 'href', text: 'ログイン' },
      { url: 'https://form.example/post', host: 'form.example', source: 'href' },
      { url: 'https://fa.example/', host: 'fa.example', source: 'href' },
      { url: 'https://fb.example/', host: 'fb.example', source: 'href' },
    ]);
  });

  it('resolves relative links against <base> (baseStriker) and network-path links', () => {
    expect(
      html('<base href="https://evil.example/x/"><a href="/login">ログイン</a><a href="//other.example/p">p</a>'),
    ).toEqual([
      { url: 'https://evil.example/login', host: 'evil.example', source: 'href', text: 'ログイン' },
      { url: 'https://other.example/p', host: 'other.example', source: 'href', text: 'p' },
    ]);
  });

  it('finds URLs in text nodes, joined across inline tags, skipping script and style', () => {
    expect(
      html(
        '<title>https://title.example/</title><style>a{background:url(https://style.example/)}</style>' +
          '<script>var u = "https://script.example/";</script>' +
          '<p>https://exa<b>mple.org</b>/x<br>next.example.com</p><div>www.div1.example</div><div>bare.example.com</div>',
      ),
    ).toEqual([
      { url: 'https://example.org/x', host: 'example.org', source: 'text' },
      { url: 'next.example.com', host: 'next.example.com', source: 'text' },
      { url: 'www.div1.example', host: 'www.div1.example', source: 'text' },
      { url: 'bare.example.com', host: 'bare.example.com', source: 'text' },
    ]);
  });

  it('handles a full-width Japanese URL in HTML text and in href', () => {
    expect(
      html(
        '<p>ご確認は&#12288;ｈｔｔｐｓ：／／ａｍａｚｏｎ－ｃｏ－ｊｐ．ｘｙｚ／ から</p><a href="https://ａｍａｚｏｎ.co.jp/">x</a>',
      ).map((l) => [l.source, l.host]),
    ).toEqual([
      ['href', 'amazon.co.jp'],
      ['text', 'amazon-co-jp.xyz'],
    ]);
  });

  it('applies the browser’s reading of tricky hrefs: userinfo, backslash, octal IP', () => {
    expect(
      html(
        '<a href="https://www.apple.com@evil.example/">a</a><a href="https://evil2.example\\@www.apple.com/">b</a>' +
          '<a href="http://0150.0337.017.0251/">c</a><a href="HTTPS://WWW.MUFG.JP./">d</a>',
      ).map((l) => [l.host, l.isIp ?? false]),
    ).toEqual([
      ['evil.example', false],
      ['evil2.example', false],
      ['104.223.15.169', true],
      ['www.mufg.jp', false],
    ]);
  });

  it('does not nest anchors, keeps the first of duplicate attributes, and dedups (url, source, text)', () => {
    expect(
      html(
        '<a href="https://a.example/" href="https://b.example/">one<a href="https://c.example/">two</a>' +
          '<a href="https://c.example/">two</a><a href="https://c.example/">three</a>',
      ).map((l) => [l.host, l.text]),
    ).toEqual([
      ['a.example', 'one'],
      ['c.example', 'two'],
      ['c.example', 'three'],
    ]);
  });
});

describe('extractLinks: redirectors are unwrapped (decoded, never fetched)', () => {
  it('Microsoft Safe Links', () => {
    // From JPCERT/CC's 2021 phishing URL list (a Safe Links-wrapped Amazon phish).
    const safe =
      'https://apac01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fanazom.co.ip.ymxpm3.shop%2FdR3snx1C.php%3Fhog83%3Dc2&data=04%7C01%7C%7Cb9b36ee7bbfb473c72f008d96b6f05fb%7C84df9e7fe9f640afb435aaaaaaaaaaaa%7C1%7C0%7C637658946871287263%7CUnknown%7CTWFpbGZsb3d8eyJWIjoiMC4wLjAwMDAiLCJQIjoiV2luMzIiLCJBTiI6Ik1haWwiLCJXVCI6Mn0%3D%7C1000&sdata=zxzBuAokKDGjTCyT63anME22o%2B9CZ4nleW5WMJGo%2BH0%3D&reserved=0';
    const expected = {
      url: 'https://anazom.co.ip.ymxpm3.shop/dR3snx1C.php?hog83=c2',
      host: 'anazom.co.ip.ymxpm3.shop',
      via: 'apac01.safelinks.protection.outlook.com',
    };
    expect(text(safe)).toEqual([{ ...expected, source: 'text' }]);
    expect(html(`<a href="${safe.replace(/&/g, '&amp;')}">Amazon.co.jp</a>`)).toEqual([
      { ...expected, source: 'href', text: 'Amazon.co.jp' },
    ]);
  });

  it('Proofpoint URL Defense v2 and v3', () => {
    expect(
      text(
        'https://urldefense.proofpoint.com/v2/url?u=https-3A__www.amazon.co.jp_gp_css_order-2Dhistory&d=DwMFaQ&c=euGZstcaTDllvimEN8b7jXrwqOf-v5A_CdpgnVfiiMM&r=abc&m=def&s=ghi&e=',
      ),
    ).toEqual([
      {
        url: 'https://www.amazon.co.jp/gp/css/order-history',
        host: 'www.amazon.co.jp',
        source: 'text',
        via: 'urldefense.proofpoint.com',
      },
    ]);
    const v3 = text(
      // "*" stands for one removed character ("Iw" is base64url of "#"); "**A" for a run of two.
      'https://urldefense.com/v3/__https://github.com/nextstrain/augur/pull/1175*discussion_r1130183899__;Iw!!GuAItXPztq0!jULEM6V$ ' +
        'https://urldefense.com/v3/__https://evil.example/a**Ab__;IyM!!x!y$ ' +
        'https://urldefense.com/v3/__https://amazon-co-jp.xyz/ap/signin?openid.mode=checkid_setup__;!!Tenant!sig$',
    );
    expect(v3.map((l) => [l.url, l.via])).toEqual([
      ['https://github.com/nextstrain/augur/pull/1175#discussion_r1130183899', 'urldefense.com'],
      ['https://evil.example/a##b', 'urldefense.com'],
      ['https://amazon-co-jp.xyz/ap/signin?openid.mode=checkid_setup', 'urldefense.com'],
    ]);
  });

  it('Google, Facebook, Bing, Yahoo! JAPAN', () => {
    const links = text(
      [
        'https://www.google.com/url?q=https://amazon-co-jp.xyz/&sa=D&source=editors&ust=1690000000000000&usg=AOvVaw0abc',
        'https://www.google.co.jp/url?sa=t&rct=j&url=https%3A%2F%2Fsmbc-card.vip%2F&usg=AOv',
        'https://www.google.com/amp/s/mufg-login.top/signin',
        'https://l.facebook.com/l.php?u=https%3A%2F%2Frakuten-card.cc%2F&h=AT0abc',
        'https://www.bing.com/ck/a?!&&p=abc&ptn=3&ver=2&hsh=4&u=a1aHR0cHM6Ly93d3cuaW5zdGFncmFtLmNvbS8&ntb=1',
        'https://search.yahoo.co.jp/r/_ylt=A2RA;_ylu=X3oDMTE-/RV=2/RE=1700000000/RO=10/RU=https%3a%2f%2fwww.aeon-jp.top%2f/RK=2/RS=abc-',
      ].join('\n'),
    );
    expect(links.map((l) => [l.host, l.via])).toEqual([
      ['amazon-co-jp.xyz', 'www.google.com'],
      ['smbc-card.vip', 'www.google.co.jp'],
      ['mufg-login.top', 'www.google.com'],
      ['rakuten-card.cc', 'l.facebook.com'],
      ['www.instagram.com', 'www.bing.com'],
      ['www.aeon-jp.top', 'search.yahoo.co.jp'],
    ]);
  });

  it('unwraps nested redirectors, keeping the outermost as via', () => {
    const proofpoint =
      'https://urldefense.proofpoint.com/v2/url?u=https-3A__amazon-2Dco-2Djp.xyz_signin&d=DwMFaQ&c=x&r=y';
    const safe = `https://nam12.safelinks.protection.outlook.com/?url=${encodeURIComponent(proofpoint)}&data=05%7C01&sdata=x%3D&reserved=0`;
    expect(text(safe)).toEqual([
      {
        url: 'https://amazon-co-jp.xyz/signin',
        host: 'amazon-co-jp.xyz',
        source: 'text',
        via: 'nam12.safelinks.protection.outlook.com',
      },
    ]);
  });

  it('keeps the redirector when its parameter is not an absolute URL', () => {
    expect(text('https://www.google.com/url?q=amazon')).toEqual([
      { url: 'https://www.google.com/url?q=amazon', host: 'www.google.com', source: 'text' },
    ]);
  });
});

describe('visibleHosts', () => {
  it('returns the domains a reader sees', () => {
    expect(visibleHosts('Amazon.co.jp')).toEqual(['amazon.co.jp']);
    expect(visibleHosts('www.amazon.co.jp')).toEqual(['www.amazon.co.jp']);
    expect(visibleHosts('https://www.smbc-card.com/mem/index.jsp')).toEqual(['www.smbc-card.com']);
    expect(visibleHosts('https://apple.com/…')).toEqual(['apple.com']);
    expect(visibleHosts('ＡＭＡＺＯＮ．ＣＯ．ＪＰ')).toEqual(['amazon.co.jp']);
    expect(visibleHosts('amazon[.]co[.]jp')).toEqual(['amazon.co.jp']);
    expect(visibleHosts('Apple.com または https://www.apple.com/jp/')).toEqual(['apple.com', 'www.apple.com']);
  });

  it('is empty when the text shows no URL or domain', () => {
    expect(visibleHosts('ログインはこちら')).toEqual([]);
    expect(visibleHosts('Amazon')).toEqual([]);
    expect(visibleHosts('請求書.pdf')).toEqual([]);
    expect(visibleHosts('support@amazon.co.jp')).toEqual([]);
    expect(visibleHosts('')).toEqual([]);
  });

  it('does not unwrap: the reader sees the redirector', () => {
    expect(visibleHosts('https://www.google.com/url?q=https://evil.example/')).toEqual(['www.google.com']);
  });
});

describe('real phishing URLs (JPCERT/CC phishurl-list 2021) in mail bodies', () => {
  const cases: ReadonlyArray<[string, string, boolean]> = [
    ['https://amazon.co.jp.tvnjoy.com/', 'amazon.co.jp.tvnjoy.com', false],
    ['http://updatejcb.co.jp.loadygi.xyz/', 'updatejcb.co.jp.loadygi.xyz', false],
    ['https://smbc.card.com.ah9.co', 'smbc.card.com.ah9.co', false],
    ['https://serviev.co.vip.qcrtqv.cn:443/', 'serviev.co.vip.qcrtqv.cn', false],
    ['http://134.122.177.51/ap/signin?&key=noreply@example.com', '134.122.177.51', true],
    ['http://xn--binance-4g6mo7p.com/', '币安binance.com', false],
    ['http://feedback.simbanet.co.ke:8080/?em=a@b.c&key=', 'feedback.simbanet.co.ke', false],
    ['https://amenoma.com/wp-includes/IXR/clareity/NFCU/login.php', 'amenoma.com', false],
  ];

  it.each(cases)('%s in Japanese text and in HTML', (url, host, isIp) => {
    const fromText = text(`【重要】お客様のアカウントを一時停止しました。\n以下より確認してください：${url}\n※本メールは送信専用です。`);
    expect(fromText.map((l) => [l.url, l.host, l.isIp ?? false])).toEqual([[url, host, isIp]]);
    const escaped = url.replace(/&/g, '&amp;');
    const fromHtml = html(
      `<div>お客様各位<br><a href="${escaped}" target="_blank"><span style="color:#00f">https://www.amazon.co.jp/</span></a><br>${escaped}</div>`,
    );
    expect(fromHtml.map((l) => [l.source, l.host, l.text])).toEqual([
      ['href', host, 'https://www.amazon.co.jp/'],
      ['text', host, undefined],
    ]);
    expect(visibleHosts(fromHtml[0]?.text ?? '')).toEqual(['www.amazon.co.jp']);
  });
});

describe('bounded work on hostile input', () => {
  // 2 MB lines shaped to make a naive scanner (or regex) quadratic: ~2·10^12 steps, far
  // beyond any test timeout. No timing is asserted; finishing is the assertion.
  const N = 2_000_000;
  // Each shape, and the hosts that must come out of it followed by a real URL.
  const shapes: Record<string, [string, string[]]> = {
    letters: ['a'.repeat(N), ['tail.example']],
    labels: ['a.'.repeat(N / 2), ['tail.example']],
    dots: ['.'.repeat(N), ['tail.example']],
    'www. after host characters': ['www.~'.repeat(N / 5), ['tail.example']],
    schemes: ['https://'.repeat(N / 8), ['tail.example']],
    'unbalanced parens': [`http://a.example/${')'.repeat(N)}`, ['a.example', 'tail.example']],
    'long path': [`example.com/${'a'.repeat(N)}`, ['example.com', 'tail.example']],
    // Longer than a DNS name may be (253 characters): no host.
    'long IDN host': [`https://${'a.あ'.repeat(N / 3)}`, ['tail.example']],
    defangs: ['[.]'.repeat(N / 3), ['tail.example']],
    'ideographic dots': ['a。'.repeat(N / 2), ['tail.example']],
    'userinfo @': [`https://${'a@'.repeat(N / 2)}`, ['tail.example']],
    spaces: [`a${' '.repeat(N)}b`, ['tail.example']],
  };

  it.each(Object.entries(shapes))('text: %s', (_name, [s, expected]) => {
    const links = text(`${s} https://tail.example/`, { maxChars: N + 100 });
    expect(hosts(links)).toEqual(expected);
  });

  it('still finds the URL after a 2 MB junk line', () => {
    const links = text(`${'x'.repeat(N)} https://tail.example/`, { maxChars: N + 100 });
    expect(hosts(links)).toEqual(['tail.example']);
  });

  it('html: deeply nested unclosed tags and huge attributes', () => {
    const nested = ['<div>', '<b>', '<a href="x">', '<table><tr>'].map((t) => t.repeat(N / 4 / t.length)).join('');
    expect(html(nested, { maxChars: N + 100 })).toEqual([]);
    const hugeHref = `<a href="https://evil.example/${'a'.repeat(N)}">x</a><meta http-equiv=refresh content="${' '.repeat(N)}x">`;
    expect(hosts(html(hugeHref, { maxChars: 3 * N }))).toEqual(['evil.example']);
  });
});
