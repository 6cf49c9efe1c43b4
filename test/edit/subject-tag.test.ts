import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { editMessage } from '../../src/edit/apply-edits.js';
import { fieldKey, fieldValue, parseHeaderBlock, type HeaderField } from '../../src/message/header-block.js';
import { decodeSubject, stripTags, tagSubject } from '../../src/edit/subject-tag.js';

const TAG = '[SUSPICIOUS] ';
const CORPUS = path.resolve(__dirname, '../fixtures/mail-ruby');
const corpus = readdirSync(CORPUS, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.eml'))
  .sort();

const trimWsp = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
/** What a mail client shows: RFC 5322 unfolding, then libmime's RFC 2047 decoder. */
const shown = (value: string) => trimWsp(libmime.decodeWords(value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '')));
const valueOf = (field: string) => field.slice(field.indexOf(':') + 1);
const isSubject = (f: HeaderField) => fieldKey(f) === 'subject';

/** The tagged field's lines: each within 78, continuation lines start with exactly one space, words within 75. */
function expectWellFolded(field: string, ending = '\r\n'): void {
  expect(field.endsWith(ending)).toBe(true);
  const lines = field.slice(0, -ending.length).split(ending);
  expect(lines[0]?.startsWith('Subject:')).toBe(true);
  for (const line of lines) {
    expect(line.length, line).toBeLessThanOrEqual(78);
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toMatch(/^[\x20-\x7e\t]*$/);
  }
  for (const line of lines.slice(1)) expect(line).toMatch(/^ [^ \t]|^[ \t]+[^ \t]/);
  for (const word of field.match(/=\?[^?]+\?[BQ]\?[^?]*\?=/g) ?? []) {
    expect(word.length).toBeLessThanOrEqual(75);
    // Each word holds whole characters (RFC 2047 §5): it decodes on its own as strict UTF-8.
    const bytes = Buffer.from(word.slice(10, -2), 'base64');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).not.toThrow();
  }
}

/** Tags a subject given as raw value bytes; returns what a client shows afterwards. */
function tagged(raw: Buffer | undefined, known: readonly string[] = [], prefix = TAG): string {
  const field = tagSubject(raw, prefix, known);
  expectWellFolded(field);
  return shown(valueOf(field));
}

/** The text a client shows for an original raw 8-bit value, decoded independently of the code under test. */
function originalText(raw: Buffer, file: string): string {
  if (!raw.some((b) => b >= 0x80)) return shown(raw.toString('latin1'));
  try {
    return trimWsp(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    // Latin-1 "Formação" in a corpus file: not UTF-8, so it goes through the Japanese detection,
    // whose Shift_JIS reading is clean (E7 E3 and E3 6F are valid double-byte pairs).
    expect(file).toMatch(/invalid_subject_characters/);
    return trimWsp(iconv.decode(raw, 'cp932'));
  }
}

describe('tagging the corpus subjects', () => {
  it.each(corpus)('%s', (file) => {
    const msg = readFileSync(path.join(CORPUS, file));
    const before = parseHeaderBlock(msg);
    const out = editMessage(msg, { stripOwnHeaders: true, subjectPrefix: TAG, knownPrefixes: [] });
    const after = parseHeaderBlock(out);
    const oldSubject = before.fields.find(isSubject);
    const newSubject = after.fields.find(isSubject);
    expect(newSubject).toBeDefined();
    const newText = newSubject!.raw.toString('latin1');
    expectWellFolded(newText, before.lineEnding);
    // An empty or missing subject becomes the tag without its trailing space.
    expect(shown(valueOf(newText))).toBe(trimWsp(TAG + (oldSubject ? originalText(fieldValue(oldSubject), file) : '')));
    // Body: the very bytes from the separator on.
    expect(out.subarray(after.bodyStart).equals(msg.subarray(before.bodyStart))).toBe(true);
    // Every other field: same bytes, same order.
    const others = (fields: readonly HeaderField[], subject: HeaderField | undefined) => fields.filter((f) => f !== subject).map((f) => f.raw.toString('latin1'));
    expect(others(after.fields, newSubject)).toEqual(others(before.fields, oldSubject));
    expect(after.fields.indexOf(newSubject!)).toBe(oldSubject ? before.fields.indexOf(oldSubject) : before.fields.length);
  });

  it('covers the Japanese, Korean and broken subjects', () => {
    const subjectOf = (file: string) => shown(valueOf(parseHeaderBlock(readFileSync(path.join(CORPUS, file))).fields.find(isSubject)!.raw.toString('latin1')));
    expect(subjectOf('multi_charset/japanese_attachment_long_name.eml')).toBe('まみむめも'.repeat(10));
    expect(subjectOf('mime_emails/raw_email_encoded_stack_level_too_deep.eml')).toBe('Nicolas Fouché has accepted your invitation to Gmail');
    expect(corpus).toContain('multi_charset/ks_c_5601-1987.eml');
    expect(corpus).toContain('error_emails/bad_subject.eml');
  });
});

describe('decoding what senders write', () => {
  const text = '【重要】請求書の送付について（ご確認ください）';

  it('raw 8-bit Shift_JIS', () => {
    const raw = Buffer.concat([Buffer.from(' '), iconv.encode(text, 'Shift_JIS'), Buffer.from('\r\n')]);
    expect(decodeSubject(raw)).toBe(text);
    expect(tagged(raw)).toBe(TAG + text);
  });

  it('raw 8-bit EUC-JP, kana and kanji only', () => {
    const euc = 'お支払い方法の変更のお願い';
    const raw = Buffer.concat([Buffer.from(' '), iconv.encode(euc, 'EUC-JP')]);
    expect(tagged(raw)).toBe(TAG + euc);
  });

  it('raw 8-bit UTF-8 (RFC 6532)', () => {
    expect(tagged(Buffer.from(` ${text} 🎉\r\n`))).toBe(`${TAG}${text} 🎉`);
  });

  it('raw 7-bit ISO-2022-JP without encoded-words, folded', () => {
    const jis = Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' }));
    expect(jis.includes(0x1b)).toBe(true);
    const raw = Buffer.concat([Buffer.from(' Re:\r\n '), jis]);
    expect(tagged(raw)).toBe(`${TAG}Re: ${text}`);
  });

  it('Q-encoded ISO-2022-JP and EUC-JP, B-encoded ks_c_5601-1987 and ISO-8859-2', () => {
    const q = (bytes: Uint8Array | Buffer) => [...bytes].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const jis = Buffer.from(Encoding.convert(Encoding.stringToCode('お知らせ'), { to: 'JIS', from: 'UNICODE' }));
    expect(tagged(Buffer.from(` =?ISO-2022-JP?Q?${q(jis)}?=`))).toBe(`${TAG}お知らせ`);
    expect(tagged(Buffer.from(` =?euc-jp?q?${q(iconv.encode('パスワード', 'EUC-JP'))}?=`))).toBe(`${TAG}パスワード`);
    expect(tagged(Buffer.from(` =?ks_c_5601-1987?B?${iconv.encode('안녕하세요', 'cp949').toString('base64')}?=`))).toBe(`${TAG}안녕하세요`);
    expect(tagged(Buffer.from(` =?ISO-8859-2?Q?Za=BF=F3=B3=E6?=`))).toBe(`${TAG}Zażółć`);
  });

  it('joins adjacent encoded-words across folding (RFC 2047 §6.2) and keeps text between them', () => {
    // A character split between two words, as broken mailers do, comes back whole.
    const bytes = Buffer.from('請求書');
    const raw = Buffer.from(` Re: =?UTF-8?B?${bytes.subarray(0, 4).toString('base64')}?=\r\n\t=?UTF-8?B?${bytes.subarray(4).toString('base64')}?= and =?UTF-8?Q?x?=`);
    expect(tagged(raw)).toBe(`${TAG}Re: 請求書 and x`);
  });

  it('keeps the whitespace an RFC 5322 unfolding keeps', () => {
    expect(tagged(Buffer.from(' a\r\n\tb  c\r\n d'))).toBe(`${TAG}a\tb  c d`);
  });
});

describe('encoding the tagged subject', () => {
  it('folds a 300-character Japanese subject into words of whole characters', () => {
    const long = 'あいうえお漢字カタカナ'.repeat(30).slice(0, 300);
    const field = tagSubject(Buffer.from(` ${long}`), '【注意】', []);
    expectWellFolded(field);
    expect(field.split('\r\n').length).toBeGreaterThan(15);
    expect(shown(valueOf(field))).toBe(`【注意】${long}`);
  });

  it('never splits a surrogate pair, wherever the word boundary falls', () => {
    for (let pad = 0; pad < 8; pad++) {
      const subject = `${'x'.repeat(pad)}${'😀👍🏽🇯🇵'.repeat(20)}`;
      const field = tagSubject(Buffer.from(` ${subject}`), TAG, [], '\n');
      expectWellFolded(field, '\n');
      expect(shown(valueOf(field))).toBe(TAG + subject);
    }
  });

  it('writes printable ASCII as it is, folded at whitespace', () => {
    const subject = Array.from({ length: 30 }, (_, i) => `part${i}`).join(' ');
    const field = tagSubject(Buffer.from(` ${subject}`), TAG, []);
    expect(field).not.toContain('=?');
    expect(field.split('\r\n').length).toBeGreaterThan(3);
    expectWellFolded(field);
    expect(shown(valueOf(field))).toBe(TAG + subject);
    expect(tagSubject(Buffer.from(' hello'), TAG, [], '\n')).toBe('Subject: [SUSPICIOUS] hello\n');
  });

  it('encodes ASCII that cannot fold within 78, or that reads as an encoded-word', () => {
    const url = `https://example.com/${'a'.repeat(100)}`;
    expect(tagged(Buffer.from(` ${url}`))).toBe(TAG + url);
    // Decoded once by us, it must not be decoded a second time by the client.
    const literal = ' =?UTF-8?Q?=3D=3Futf-8=3Fq=3Fpaypal=3F=3D?=';
    expect(tagged(Buffer.from(literal))).toBe(`${TAG}=?utf-8?q?paypal?=`);
  });

  it('keeps a CR LF hidden in an encoded-word inside the encoding (no header injection)', () => {
    const field = tagSubject(Buffer.from(' =?UTF-8?Q?hi=0D=0AX-Sekisho-Verdict:_clean?='), TAG, []);
    expectWellFolded(field);
    expect(field.split('\r\n').every((l) => !l.startsWith('X-'))).toBe(true);
    expect(shown(valueOf(field))).toBe(`${TAG}hi\r\nX-Sekisho-Verdict: clean`);
  });

  it('gives the tag alone to a missing or empty subject', () => {
    expect(tagSubject(undefined, TAG, [])).toBe('Subject: [SUSPICIOUS]\r\n');
    expect(tagSubject(Buffer.from(' \r\n'), '【注意】 ', [], '\n')).toBe('Subject: =?UTF-8?B?44CQ5rOo5oSP44CR?=\n');
  });
});

describe('tags already there', () => {
  const known = ['[SUSPICIOUS] ', '【注意】'];

  it.each([
    ['[SUSPICIOUS] x', '[SUSPICIOUS] x'],
    ['[SUSPICIOUS] [SUSPICIOUS] x', '[SUSPICIOUS] x'],
    ['Re: [SUSPICIOUS] x', '[SUSPICIOUS] Re: x'],
    ['RE: Fwd: [suspicious] x', '[SUSPICIOUS] RE: Fwd: x'],
    ['【注意】x', '[SUSPICIOUS] x'],
    ['返信: 【注意】 [SUSPICIOUS] x', '[SUSPICIOUS] 返信: x'],
    ['Re[2]：FW: 【注意】x', '[SUSPICIOUS] Re[2]：FW: x'],
    ['[SUSPICIOUS]', '[SUSPICIOUS]'],
    ['x [SUSPICIOUS]', '[SUSPICIOUS] x [SUSPICIOUS]'],
  ])('%s', (subject, expected) => {
    expect(tagged(Buffer.from(` ${subject}`), known)).toBe(expected);
  });

  it('strips the new tag when the admin changed tags', () => {
    expect(tagged(Buffer.from(' [SUSPICIOUS] 請求書'), known, '【注意】')).toBe('【注意】請求書');
    expect(tagged(Buffer.from(` ${Buffer.from('【注意】請求書').toString('latin1')}`, 'latin1'), known, '【注意】')).toBe('【注意】請求書');
  });

  it('does not cut a word that merely starts like a tag', () => {
    expect(stripTags('SPAMALOT tickets', ['SPAM'])).toBe('SPAMALOT tickets');
    expect(stripTags('SPAM: tickets', ['SPAM'])).toBe(': tickets');
    expect(stripTags('Reply needed', ['[X]'])).toBe('Reply needed');
  });
});
