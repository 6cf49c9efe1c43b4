import Encoding from 'encoding-japanese';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeEncodedWords } from '../../src/message/encoded-words.js';

const b64 = (bytes: Buffer | number[]) => Buffer.from(bytes).toString('base64');
const jis = (text: string) => Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' }) as number[]);

describe('decodeEncodedWords', () => {
  it.each([
    [`=?ISO-2022-JP?B?${b64(jis('三井住友カード'))}?=`, '三井住友カード'],
    [`=?Shift_JIS?B?${b64(iconv.encode('楽天カード', 'shift_jis'))}?=`, '楽天カード'],
    [`=?EUC-JP?B?${b64(iconv.encode('みずほ銀行', 'euc-jp'))}?=`, 'みずほ銀行'],
    [`=?GB2312?B?${b64(iconv.encode('客服中心', 'gb2312'))}?=`, '客服中心'],
    ['=?KOI8-R?Q?=F0=CF=C4=C4=C5=D2=D6=CB=C1?=', 'Поддержка'],
    ['=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=', 'Keld Jørn Simonsen'],
    ['=?utf-8?b?QXBwbGU=?=', 'Apple'],
  ])('decodes %s in the charset it names', (word, text) => {
    expect(decodeEncodedWords(word)).toBe(text);
  });

  it.each([
    ['=?UTF-8?B?QXBw?= =?UTF-8?B?bGU=?=', 'Apple'],
    ['=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=', 'ab'],
    ['=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=', 'a b'],
    ['=?ISO-8859-1?Q?a?= b', 'a b'],
    ['Apple=?UTF-8?Q?_?=Support', 'Apple Support'],
  ])('%j is %j: blanks go between adjacent words only (RFC 2047 §6.2), whatever their charsets', (text, decoded) => {
    expect(decodeEncodedWords(text)).toBe(decoded);
  });

  it('joins the bytes of adjacent words before the charset: split characters and ISO-2022-JP escapes', () => {
    const utf8 = Buffer.from('楽天');
    expect(decodeEncodedWords(`=?UTF-8?B?${b64(utf8.subarray(0, 2))}?= =?UTF-8?B?${b64(utf8.subarray(2))}?=`)).toBe('楽天');
    expect(decodeEncodedWords('=?UTF-8?Q?=E6=A5?=\r\n =?UTF-8?Q?=BD=E5=A4=A9?=')).toBe('楽天');
    const j = jis('千葉銀行');
    expect(decodeEncodedWords(`=?ISO-2022-JP?B?${b64(j.subarray(0, 7))}?= =?ISO-2022-JP?B?${b64(j.subarray(7))}?=`)).toBe('千葉銀行');
  });

  it.each([
    ['=?UTF-8?B?QXBw=bGU=?=', 'Apple', 'padding in the middle'],
    ['=?UTF-8?B?QXBwbGUgSUQ?=', 'Apple ID', 'no padding'],
    ['=?x-unknown?B?QXBwbGU=?=', 'Apple', 'an unknown charset, UTF-8 bytes'],
    [`=?x-unknown?B?${b64(iconv.encode('楽天', 'shift_jis'))}?=`, '楽天', 'an unknown charset, Shift_JIS bytes'],
    ['=?US-ASCII*EN?Q?Keith_Moore?=', 'Keith Moore', 'an RFC 2231 language tag'],
    ['=?UTF-7?Q?+AEEAcABwAGwAZQ-?=', 'Apple', 'UTF-7, which Outlook shows'],
    ['=?UTF-8?Q?Apple,_Inc.?=', 'Apple, Inc.', 'specials in Q text'],
    ['=?UTF-8?Q?100=%?=', '100=%', 'a "=" that starts no byte'],
  ])('reads %s as forgiving clients do (%s)', (word, text) => {
    expect(decodeEncodedWords(word)).toBe(text);
  });

  it('leaves an unclosed word as text, unless asked to read it as lenient clients do', () => {
    expect(decodeEncodedWords('=?UTF-8?B?QXBwbGU= x')).toBe('=?UTF-8?B?QXBwbGU= x');
    expect(decodeEncodedWords('=?UTF-8?B?QXBwbGU= x', true)).toBe('Apple x');
    expect(decodeEncodedWords('=?UTF-8?X?QXBwbGU=?=', true)).toBe('=?UTF-8?X?QXBwbGU=?=');
    expect(decodeEncodedWords('a =? b ?= c')).toBe('a =? b ?= c');
  });

  it('is linear: 240 KB of word starts (values are cut at 8 KB) take well under a second, not minutes', () => {
    const time = (n: number) => {
      const text = '=?a?Q?'.repeat(n);
      const start = performance.now();
      decodeEncodedWords(text);
      decodeEncodedWords(text, true);
      return performance.now() - start;
    };
    time(1000);
    expect(time(40_000)).toBeLessThan(1500);
    const unclosed = `=?a?Q?${'x'.repeat(100)}=?`.repeat(2000);
    const start = performance.now();
    decodeEncodedWords(unclosed);
    expect(performance.now() - start).toBeLessThan(1500);
  });
});
