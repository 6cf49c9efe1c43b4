import { describe, expect, it } from 'vitest';
import { loadConfusables } from '../../../src/brand/load-confusables.js';
import { BrandIndex } from '../../../src/core/brand/brand-index.js';
import { judgeHost, typoBudget, type HostJudgement } from '../../../src/core/brand/lookalike.js';
import { brand } from '../../helpers/brand-mail.js';

const index = new BrandIndex(
  [
    brand('apple', ['Apple'], ['apple.com', 'icloud.com']),
    brand('amazon', ['Amazon'], ['amazon.co.jp', 'amazon.com']),
    brand('chibabank', ['千葉銀行'], ['chibabank.co.jp']),
    brand('smbc-card', ['三井住友カード'], ['smbc-card.com', 'vpass.ne.jp'], { senders: ['otp-auth.net'] }),
    brand('line', ['LINE'], ['line.me']),
    brand('microsoft', ['Microsoft'], ['microsoft.com']),
    brand('google', ['Google'], ['google.com'], { mailboxes: ['gmail.com'] }),
  ],
  loadConfusables(),
  ['example-corp.co.jp'],
);

const judge = (host: string): HostJudgement => judgeHost(host, index);

/** The one match for `brand`, or undefined. */
function match(host: string, id: string) {
  const j = judge(host);
  return j.kind === 'lookalike' ? j.matches.find((m) => m.brand === id) : undefined;
}

describe('judgeHost', () => {
  it('official domains and their subdomains are official, whatever the case or trailing dot', () => {
    expect(judge('apple.com')).toEqual({ kind: 'official', domain: 'apple.com', brand: 'apple' });
    expect(judge('ID.Apple.COM.')).toEqual({ kind: 'official', domain: 'apple.com', brand: 'apple' });
    expect(judge('www.chibabank.co.jp')).toEqual({ kind: 'official', domain: 'chibabank.co.jp', brand: 'chibabank' });
    expect(judge('gmail.com')).toEqual({ kind: 'official', domain: 'gmail.com', brand: 'google' });
  });

  it('listed sending partners and the site-wide allowlist are never lookalikes', () => {
    expect(judge('mail.otp-auth.net')).toEqual({ kind: 'partner', domain: 'otp-auth.net', brands: ['smbc-card'] });
    expect(judge('www.example-corp.co.jp')).toEqual({ kind: 'allowed', domain: 'example-corp.co.jp' });
  });

  it('full-width letters and ideographic full stops are read as the browser reads them', () => {
    expect(judge('ａｐｐｌｅ。ｃｏｍ')).toEqual({ kind: 'official', domain: 'apple.com', brand: 'apple' });
  });

  it('homoglyphs: Cyrillic letters, punycode, digits for letters, rn for m', () => {
    expect(match('аpple.com', 'apple')).toMatchObject({ how: 'homoglyph', strength: 'certain', official: 'apple.com' });
    // xn--pple-43d.com is "аpple.com" with a Cyrillic а, as a mail or link carries it.
    expect(match('xn--pple-43d.com', 'apple')).toMatchObject({ how: 'homoglyph', strength: 'certain' });
    expect(match('app1e.com', 'apple')).toMatchObject({ how: 'homoglyph', detail: 'app1e reads as apple' });
    expect(match('rnicrosoft.com', 'microsoft')).toMatchObject({ how: 'homoglyph', strength: 'certain' });
    expect(match('amazom.co.jp', 'amazon')).toMatchObject({ how: 'typo', detail: 'n→m' });
  });

  it('typos within the budget of the name length; short names are judged by the kind of edit (below)', () => {
    expect(match('appie.com', 'apple')).toMatchObject({ how: 'typo', strength: 'likely', detail: 'l→i' });
    expect(match('amaozn.com', 'amazon')).toMatchObject({ how: 'typo', detail: 'zo↔oz' });
    expect(match('chibabnak.co.jp', 'chibabank')).toMatchObject({ how: 'typo' });
    expect(match('chibabamk.jp', 'chibabank')).toMatchObject({ how: 'typo' });
    // lime.me is one keystroke from line.me, but under .me that is only a possible imitation.
    expect(match('lime.me', 'line')).toMatchObject({ how: 'typo', strength: 'possible' });
    expect([typoBudget(4), typoBudget(5), typoBudget(7), typoBudget(9)]).toEqual([0, 1, 1, 2]);
  });

  it('TLD swaps are only possible imitations: brands own many of their names', () => {
    expect(match('apple.xyz', 'apple')).toMatchObject({ how: 'tld-swap', strength: 'possible', detail: 'apple under .xyz instead of .com' });
    expect(match('amazon.de', 'amazon')).toMatchObject({ how: 'tld-swap', strength: 'possible' });
  });

  it('joined and split forms of the official domain', () => {
    expect(match('amazon-co-jp.xyz', 'amazon')).toMatchObject({ how: 'joined', strength: 'certain', detail: 'amazon.co.jp written as amazon-co-jp.xyz' });
    expect(match('applecom.net', 'apple')).toMatchObject({ how: 'joined', strength: 'certain' });
    expect(match('app.le.com', 'apple')).toMatchObject({ how: 'split', strength: 'certain' });
  });

  it('the brand before somebody else\'s domain', () => {
    expect(match('apple.com.verify-id.net', 'apple')).toMatchObject({ how: 'in-subdomain', strength: 'certain', detail: 'apple.com put in front of verify-id.net' });
    expect(match('www.amazon.co.jp.secure-login.top', 'amazon')).toMatchObject({ how: 'in-subdomain', strength: 'certain' });
    expect(match('smbc-card.xizim.com', 'smbc-card')).toMatchObject({ how: 'in-subdomain', strength: 'certain' });
    expect(match('amazon.nuffx.com', 'amazon')).toMatchObject({ how: 'in-subdomain', strength: 'likely' });
  });

  it('the brand inside another name: likely beside account words, otherwise only possible', () => {
    expect(match('apple-id-support.com', 'apple')).toMatchObject({ how: 'in-domain', strength: 'likely' });
    expect(match('appie-support.com', 'apple')).toMatchObject({ how: 'typo', strength: 'likely', detail: 'l→i, in appie-support.com' });
    expect(match('amazonjpcofree.cf', 'amazon')).toMatchObject({ how: 'in-domain', strength: 'likely' });
    expect(match('apple-recipes.com', 'apple')).toMatchObject({ how: 'in-domain', strength: 'possible' });
    expect(match('pineapple.jp', 'apple')).toMatchObject({ how: 'in-domain', strength: 'possible' });
  });

  it('unrelated hosts, IP literals and private-suffix hosts', () => {
    expect(judge('example.org')).toEqual({ kind: 'unrelated', domain: 'example.org', shared: false, ip: false });
    expect(judge('203.0.113.7')).toEqual({ kind: 'unrelated', domain: '203.0.113.7', shared: false, ip: true });
    expect(judge('someone.github.io')).toEqual({ kind: 'unrelated', domain: 'someone.github.io', shared: true, ip: false });
  });
});

describe('judgeHost: lookalikes of short names (four letters or fewer)', () => {
  const short = new BrandIndex(
    [
      brand('aeon', ['イオンカード'], ['aeon.co.jp'], { neighbours: ['zeon.co.jp'] }),
      brand('smbc', ['三井住友銀行'], ['smbc.co.jp']),
      brand('mufg', ['三菱UFJ銀行'], ['mufg.jp']),
      brand('jcb', ['JCB'], ['jcb.co.jp']),
      brand('au', ['au'], ['au.com']),
      brand('dhl', ['DHL'], ['dhl.com', 'dhl.co.jp']),
    ],
    loadConfusables(),
  );
  const m = (host: string, id: string) => {
    const j = judgeHost(host, short);
    return j.kind === 'lookalike' ? j.matches.find((x) => x.brand === id) : undefined;
  };

  // [host, brand, what the match must have]
  const likely: Array<[string, string, Record<string, unknown>]> = [
    ['aeom.co.jp', 'aeon', { how: 'typo', detail: 'aeom instead of aeon (n→m, the next key) under .co.jp' }],
    ['aoen.co.jp', 'aeon', { detail: expect.stringContaining('eo↔oe') }],
    ['aeeon.co.jp', 'aeon', { detail: expect.stringContaining('e doubled') }],
    ['aeo.co.jp', 'aeon', { detail: expect.stringContaining('n dropped') }],
    ['aeonx.co.jp', 'aeon', { detail: expect.stringContaining('x added') }],
    ['smcb.co.jp', 'smbc', { how: 'typo' }],
    ['jcv.co.jp', 'jcb', { detail: expect.stringContaining('b→v, the next key') }],
    ['jct.co.jp', 'jcb', { detail: expect.stringContaining('b→t)') }],
    // Visual confusions: the name itself at a glance.
    ['mufq.jp', 'mufg', { how: 'homoglyph', detail: 'mufq looks like mufg at a glance' }],
    ['5mbc.co.jp', 'smbc', { how: 'homoglyph' }],
    ['jcd.co.jp', 'jcb', { how: 'homoglyph' }],
    ['dhi.com', 'dhl', { how: 'homoglyph' }],
  ];
  it.each(likely)('under the brand\'s own suffix %s is a likely imitation of %s (any one edit under .jp, a visual one anywhere)', (host, id, want) => {
    expect(m(host, id)).toMatchObject({ strength: 'likely', ...want });
  });

  it('UTS #39 confusables (rn for m, digits for letters) stay certain; a visual confusion under another suffix is possible', () => {
    for (const [host, id] of [['srnbc.co.jp', 'smbc'], ['ae0n.co.jp', 'aeon'], ['rnufg.jp', 'mufg']] as const) {
      expect(m(host, id)).toMatchObject({ how: 'homoglyph', strength: 'certain' });
    }
    expect(m('mufq.com', 'mufg')).toMatchObject({ how: 'homoglyph', strength: 'possible' });
  });

  it('under open suffixes (.com) a slip is only possible: nearly every short .com name is someone\'s', () => {
    expect(m('dhk.com', 'dhl')).toMatchObject({ how: 'typo', strength: 'possible', shortEdit: 'slip' });
    expect(m('dhk.co.jp', 'dhl')).toMatchObject({ how: 'typo', strength: 'likely' });
  });

  it('under open suffixes a doubled letter or a digit added is likely: such names are nobody\'s word', () => {
    expect(m('dhll.com', 'dhl')).toMatchObject({ how: 'typo', strength: 'likely', shortEdit: 'doubled' });
    expect(m('ddhl.com', 'dhl')).toMatchObject({ strength: 'likely', shortEdit: 'doubled' });
    expect(m('dhl7.com', 'dhl')).toMatchObject({ strength: 'likely', shortEdit: 'digit' });
    expect(m('dh7.com', 'dhl')).toMatchObject({ strength: 'likely', shortEdit: 'digit' });
    // Still only under the brand's own suffix.
    expect(m('dhll.net', 'dhl')).toBeUndefined();
  });

  it('one edit under another suffix is not an imitation; the name itself there is a tld-swap', () => {
    expect(m('aeom.com', 'aeon')).toBeUndefined();
    expect(m('jcv.jp', 'jcb')).toBeUndefined();
    expect(m('smbc.com', 'smbc')).toMatchObject({ how: 'tld-swap', strength: 'possible' });
  });

  it('two-letter names count only as exact visual confusions', () => {
    expect(m('av.com', 'au')).toBeUndefined();
    expect(m('aus.com', 'au')).toBeUndefined();
    expect(m('a.com', 'au')).toBeUndefined();
    expect(m('аu.com', 'au')).toMatchObject({ how: 'homoglyph', strength: 'certain' });
  });

  it('listed neighbours are real domains of others, never lookalikes', () => {
    expect(judgeHost('zeon.co.jp', short).kind).toBe('unrelated');
    expect(judgeHost('www.zeon.co.jp', short).kind).toBe('unrelated');
  });

  it('two edits from a short name are another name', () => {
    expect(m('aemo.co.jp', 'aeon')).toBeUndefined();
    expect(m('jtv.co.jp', 'jcb')).toBeUndefined();
  });
});

describe('judgeHost: real names that only resemble a brand (from the SpamAssassin ham)', () => {
  const real = new BrandIndex(
    [
      brand('apple', ['Apple'], ['apple.com']),
      brand('fedex', ['FedEx'], ['fedex.com']),
      brand('tepco', ['東京電力'], ['tepco.co.jp']),
      brand('amazon', ['Amazon'], ['amazon.co.jp']),
      brand('microsoft', ['Microsoft'], ['microsoft.com', 'windows.com'], { mailboxes: ['outlook.com'] }),
    ],
    loadConfusables(),
  );
  const m = (host: string, id: string) => {
    const j = judgeHost(host, real);
    return j.kind === 'lookalike' ? j.matches.find((x) => x.brand === id) : undefined;
  };

  it('a look-alike letter and another change are two changes: too many for a five-letter name', () => {
    expect(m('apnic.net', 'apple')).toBeUndefined();
    expect(m('webex.com', 'fedex')).toBeUndefined();
    expect(m('annazor.co.jp', 'amazon')).toMatchObject({ how: 'homoglyph', strength: 'likely' });
  });

  it('a five-letter name misspelt under another suffix is only possible (tesco.ie is not tepco.co.jp)', () => {
    expect(m('tesco.ie', 'tepco')).toMatchObject({ how: 'typo', strength: 'possible' });
    expect(m('tesco.co.jp', 'tepco')).toMatchObject({ how: 'typo', strength: 'likely' });
  });

  it('service names as other companies use them: outlook.example.com, outlooksecure.com, applecore', () => {
    expect(m('outlook.4team.biz', 'microsoft')).toMatchObject({ how: 'in-subdomain', strength: 'possible' });
    expect(m('outlooksecure.com', 'microsoft')).toMatchObject({ how: 'in-domain', strength: 'possible' });
    expect(m('netwindows.org', 'microsoft')).toMatchObject({ strength: 'possible' });
    expect(m('outlook-secure.com', 'microsoft')).toMatchObject({ strength: 'likely' });
    expect(m('outlook-login.example.net', 'microsoft')).toMatchObject({ how: 'in-subdomain', strength: 'likely' });
    expect(m('applecore.lockergnome.com', 'apple')).toMatchObject({ how: 'in-subdomain', strength: 'possible' });
    expect(m('amazonjpcofree.cf', 'amazon')).toMatchObject({ how: 'in-domain', strength: 'likely' });
  });
});
