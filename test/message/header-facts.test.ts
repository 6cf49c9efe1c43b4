import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { headerFactsOf, MAX_FROM_ADDRESSES } from '../../src/message/header-facts.js';
import { fieldTexts } from '../../src/message/header-text.js';

const facts = (header: Buffer | string) => headerFactsOf(Buffer.concat([Buffer.isBuffer(header) ? header : Buffer.from(header, 'utf8'), Buffer.from('\r\nbody\r\n')]));

describe('header facts: From addresses', () => {
  it('are every mailbox of every field, routes and comments removed, domains lower case without a trailing dot', () => {
    const f = facts('From: Mary <@relay.example:mary@Example.NET.>, , jdoe(comment)@test . example\r\nFROM : Group: a@b.example;\r\nSender: s@EVIL.example\r\nReply-To: "Doe, John" <john@corp.example>\r\n');
    expect(f.from).toEqual(['mary@example.net', 'jdoe@test.example', 'a@b.example']);
    expect(f.fromCut).toBeUndefined();
  });

  it(`stop after ${MAX_FROM_ADDRESSES} and say so: the fields past it are not parsed`, () => {
    const many = Array.from({ length: MAX_FROM_ADDRESSES + 5 }, (_, i) => `From: <a${i}@partner.example>\r\n`).join('');
    const f = facts(`${many}Subject: hi\r\n`);
    expect(f.from).toHaveLength(MAX_FROM_ADDRESSES);
    expect(f.from[0]).toBe('a0@partner.example');
    expect(f.fromCut).toBe(true);
    expect(f.subject).toBe('hi');
    // One list of exactly the cap is whole.
    expect(facts(`From: ${Array.from({ length: MAX_FROM_ADDRESSES }, (_, i) => `a${i}@x.example`).join(', ')}\r\n`).fromCut).toBeUndefined();
  });

  it('read raw 8-bit fields in their charset first: a Shift_JIS byte 0x5C is half of ソ, not a quoted-pair', () => {
    const sjis = Buffer.concat([Buffer.from('From: "'), iconv.encode('ソフトバンク', 'shift_jis'), Buffer.from('" <x@evil.example>\r\n')]);
    expect(sjis.includes(0x5c)).toBe(true);
    expect(facts(sjis).from).toEqual(['x@evil.example']);
    expect(facts('From: Ａｐｐｌｅ <x@ａｐｐｌｅ．ｃｏｍ>\r\n').from).toEqual(['x@ａｐｐｌｅ．ｃｏｍ']);
  });

  it('never take an encoded-word for an address', () => {
    expect(facts('From: =?UTF-8?B?c3VwcG9ydEBhcHBsZS5jb20=?= <x@evil.example>\r\n').from).toEqual(['x@evil.example']);
  });
});

describe('header facts: From as a client shows it (the quarantine list and search)', () => {
  it('reads raw Shift_JIS, EUC-JP, ISO-2022-JP and UTF-8 display names, and encoded-words, as Japanese text', () => {
    const raw = (bytes: Buffer) => facts(Buffer.concat([Buffer.from('From: '), bytes, Buffer.from(' <info@example.jp>\r\n')])).fromText;
    expect(raw(iconv.encode('三井住友カード', 'shift_jis'))).toBe('三井住友カード <info@example.jp>');
    expect(raw(iconv.encode('千葉銀行', 'euc-jp'))).toBe('千葉銀行 <info@example.jp>');
    expect(raw(Buffer.from('GyRCJCgkLSRNJEMkSBsoQg==', 'base64'))).toBe('えきねっと <info@example.jp>'); // ISO-2022-JP bytes, no encoded-word
    expect(raw(Buffer.from('Ａｍａｚｏｎ'))).toBe('Ａｍａｚｏｎ <info@example.jp>');
    expect(facts('From: =?ISO-2022-JP?B?GyRCJCgkLSRNJEMkSBsoQg==?=\r\n <info@example.jp>\r\n').fromText).toBe('えきねっと <info@example.jp>');
  });
});

describe('fieldTexts', () => {
  it('reads 8-bit bytes that are not UTF-8 both as a Japanese and as a Western client shows them', () => {
    expect(fieldTexts(Buffer.from(' "\xC0pple" <x@a\xE8xp.com>', 'latin1'))).toEqual([' "ﾀpple" <x@a閂p.com>', ' "Àpple" <x@aèxp.com>']);
    expect(fieldTexts(iconv.encode(' 三井住友カード <x@evil.example>', 'shift_jis'))[0]).toBe(' 三井住友カード <x@evil.example>');
    expect(fieldTexts(Buffer.from(' Apple サポート <x@evil.example>'))).toEqual([' Apple サポート <x@evil.example>']);
    expect(fieldTexts(Buffer.from(' Apple\r\n <x@evil.example>'))).toEqual([' Apple <x@evil.example>']);
  });
});
