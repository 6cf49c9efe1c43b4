import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/message/address-tokens.js';
import { parseAddressField, parseMailboxes, senderDomain } from '../../src/message/mailbox.js';

const field = (value: string) => {
  const f = parseAddressField(value);
  return { texts: f.texts, shown: f.shownAddresses, addresses: f.mailboxes.map((m) => m.address), routes: f.routes };
};

describe('tokenize', () => {
  it('keeps quoted strings, comments and literals whole, resolving quoted-pairs', () => {
    expect(tokenize('"a\\"b" (c (d) \\) e) [1.2.3.4] x.y@z').tokens.map((t) => `${t.kind}:${t.text}`)).toEqual([
      'quoted:a"b', 'space: ', 'comment:c (d) ) e', 'space: ', 'literal:[1.2.3.4]', 'space: ', 'atom:x', 'special:.', 'atom:y', 'special:@', 'atom:z',
    ]);
  });

  it('runs an unclosed quote, comment or literal to the end, and says where the quote opened', () => {
    expect(tokenize('a "b <c@d>').unclosedQuote).toBe(2);
    expect(tokenize('a (b <c@d>').tokens.map((t) => t.kind)).toEqual(['atom', 'space', 'comment']);
    expect(tokenize('"a" b').unclosedQuote).toBe(-1);
  });

  it('keeps an encoded-word whole inside an atom, specials and all', () => {
    expect(tokenize('=?UTF-8?Q?Apple,_Inc.?= <x@y>').tokens[0]).toEqual({ kind: 'atom', text: '=?UTF-8?Q?Apple,_Inc.?=' });
    expect(tokenize('=?UTF-8?Q?a,b c').tokens.map((t) => t.text)).toEqual(['=?UTF-8?Q?a', ',', 'b', ' ', 'c']);
  });
});

describe('parseAddressField', () => {
  it('gives every text of a list that RFC 5322 and clients read differently', () => {
    expect(field('Amazon Prime, member <service@other.example>')).toEqual({
      texts: ['Amazon Prime', 'member', 'Amazon Prime, member'],
      shown: [],
      addresses: ['service@other.example'],
      routes: [],
    });
    expect(field('"Apple" , <x@evil.example>')).toMatchObject({ texts: ['Apple', 'x'], shown: ['x@evil.example'] });
    expect(field('Apple <>, x@evil.example').addresses).toEqual(['x@evil.example']);
  });

  it('reads groups: the group name is a text, its members are mailboxes', () => {
    expect(field('Apple Support: x@evil.example, Bob <b@c.example>;')).toEqual({
      texts: ['Apple Support', 'x', 'Bob', 'Apple Support, Bob'],
      shown: ['x@evil.example'],
      addresses: ['x@evil.example', 'b@c.example'],
      routes: [],
    });
    expect(field('Undisclosed recipients:;')).toEqual({ texts: ['Undisclosed recipients'], shown: [], addresses: [], routes: [] });
  });

  it('takes comments as texts, wherever they are', () => {
    expect(field('x@evil.example (Apple Support)').texts).toEqual(['Apple Support', '(Apple Support)']);
    expect(field('x(Apple)@evil.example').addresses).toEqual(['x@evil.example']);
    expect(parseAddressField('Apple (Support) <x@evil.example>').mailboxes[0]?.name).toBe('Apple');
    expect(parseMailboxes('Apple (Support) <x@evil.example>')).toEqual([{ name: '', address: 'x@evil.example', domain: 'evil.example' }]);
  });

  it('reads the obsolete syntax: routes, CFWS around every token, blanks around dots, empty members', () => {
    expect(field('Mary Smith <@node.test,@relay.test:mary@example.net>, , jdoe@test  . example')).toEqual({
      texts: ['Mary Smith', 'jdoe'],
      shown: ['jdoe@test.example'],
      addresses: ['mary@example.net', 'jdoe@test.example'],
      routes: ['node.test', 'relay.test'],
    });
    expect(field('(a) Apple (b) < (c) x (d) @ (e) evil (f) . (g) example (h) >').addresses).toEqual(['x@evil.example']);
    expect(field('Joe Q. Public <j@example.com>').texts).toEqual(['Joe Q. Public']);
  });

  it('finds the addresses of broken angle brackets', () => {
    expect(field('Apple <x@evil.example').addresses).toEqual(['x@evil.example']);
    expect(field('Apple <a@apple.com <x@evil.example>>').addresses).toEqual(['a@apple.com', 'x@evil.example']);
    expect(field('<x@evil.example, y@other.example').addresses).toEqual(['x@evil.example', 'y@other.example']);
    expect(field('Apple <Apple Support>')).toEqual({ texts: ['Apple Support', 'Apple'], shown: [], addresses: [], routes: [] });
    expect(field('<x@evil.example> Apple Support').texts).toEqual(['Apple Support']);
  });

  it('shows the address of a mailbox without a name (as an address, not a name), and its local part as a name', () => {
    expect(field('<first@evil.example>, <admin@apple.com>')).toMatchObject({ texts: ['first', 'admin'], shown: ['first@evil.example', 'admin@apple.com'] });
    expect(field('<a@apple.com>\\,<b@evil.example>').shown).toContain('a@apple.com');
    expect(field('support@apple.com@evil.example')).toMatchObject({ texts: ['support@apple.com'], shown: ['support@apple.com@evil.example'], addresses: ['support@apple.com@evil.example'] });
    expect(field('"support@apple.com"@evil.example').shown).toContain('support@apple.com@evil.example');
    expect(field('owner-list@wireless.org.au')).toMatchObject({ texts: ['owner-list'], shown: ['owner-list@wireless.org.au'] });
  });

  it('decodes encoded-words only in texts: an encoded address is a name, never an address', () => {
    expect(field('=?UTF-8?B?c3VwcG9ydEBhcHBsZS5jb20=?= <x@evil.example>')).toEqual({ texts: ['support@apple.com'], shown: [], addresses: ['x@evil.example'], routes: [] });
    expect(field('"=?UTF-8?B?QXBwbGU=?=" <x@evil.example>').texts).toEqual(['Apple']);
    expect(field('=?UTF-8?B?QXBwbGU= <x@evil.example>').texts).toEqual(['=?UTF-8?B?QXBwbGU=', 'Apple']);
  });

  it('reads an unclosed quote once more as a plain character, as Gmail does', () => {
    expect(field('"Amazon - Service <info@evil.example>')).toEqual({
      texts: ['Amazon - Service <info@evil.example>', 'Amazon - Service'],
      shown: [],
      addresses: ['info@evil.example'],
      routes: [],
    });
  });

  it('is linear on whatever a value of 8 KB can hold (a few ms each once warm; quadratic would be seconds)', () => {
    for (const piece of ['"', '(', '<', '=?a?Q?', '\\', '@', ',', ':', '<@a,', 'a.', '"a"@', '(a)@', '<a@b>']) {
      const value = piece.repeat(8192 / piece.length);
      parseAddressField(value);
      const times = [0, 1, 2].map(() => {
        const start = performance.now();
        parseAddressField(value);
        return performance.now() - start;
      });
      expect(Math.min(...times), piece).toBeLessThan(200);
    }
  });
});

describe('senderDomain', () => {
  /** As written → as judged. Link hosts are judged the same way (links-url.ts), except for the last three. */
  const domains: Record<string, string> = {
    'EVIL.Example.': 'evil.example', // lower case, no trailing dot
    'xn--pple-43d.com': 'аpple.com', // punycode as Unicode
    'XN--BCHER-KVA.de': 'bücher.de',
    'bücher.de': 'bücher.de',
    '[192.0.2.1]': '[192.0.2.1]', // a domain literal
    'ａｐｐｌｅ．ｃｏｍ': 'ａｐｐｌｅ．ｃｏｍ', // IDNA reaches apple.com only by mapping its characters: kept as written
    'ＡＰＰＬＥ．ＣＯＭ．': 'ａｐｐｌｅ．ｃｏｍ',
    'apple。com': 'apple。com', // an ideographic dot
  };

  it.each(Object.entries(domains))('%s is judged as %s', (raw, domain) => {
    expect(senderDomain(raw)).toBe(domain);
  });
});
