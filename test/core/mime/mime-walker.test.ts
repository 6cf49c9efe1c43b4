import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { messagePasswords } from '../../../src/core/mime/message-text.js';
import { walkMime } from '../../../src/core/mime/mime-walker.js';
import { mailOf } from '../../helpers/wrappings.js';

const F = path.resolve(__dirname, '../../fixtures');
const load = (p: string) => readFileSync(path.join(F, p));

describe('MIME walk', () => {
  it('finds every leaf with its part number and decoded Japanese names', async () => {
    const tree = await walkMime(load('mail-ruby/multi_charset/japanese_attachment_long_name.eml'), 100);
    expect(tree.subject).toBe('まみむめも'.repeat(10));
    expect(tree.leaves.map((l) => l.filename)).toEqual(['かきくけこ'.repeat(5) + '.txt']);
    const iso = await walkMime(load('mail-ruby/multi_charset/japanese_iso_2022.eml'), 100);
    expect(iso.subject).toBe('まみむめも');
  });

  it('reads a Subject written in raw Shift_JIS, EUC-JP or ISO-2022-JP bytes as the Japanese a client shows', async () => {
    const subjectOf = async (bytes: Buffer) => (await walkMime(Buffer.concat([Buffer.from('From: info@example.jp\r\nSubject: '), bytes, Buffer.from('\r\n\r\nbody\r\n')]), 100)).subject;
    expect(await subjectOf(iconv.encode('【重要】三井住友カード', 'shift_jis'))).toBe('【重要】三井住友カード');
    expect(await subjectOf(iconv.encode('【重要】千葉銀行', 'euc-jp'))).toBe('【重要】千葉銀行');
    expect(await subjectOf(Buffer.from('GyRCJCgkLSRNJEMkSBsoQg==', 'base64'))).toBe('えきねっと'); // ISO-2022-JP, no encoded-word
    expect(await subjectOf(Buffer.from('=?UTF-8?B?44GI44GN44Gt44Gj44Go?=\r\n =?UTF-8?B?44CQ6YeN6KaB44CR?='))).toBe('えきねっと【重要】');
    // Padded past the brand checks' 16 Ki-character cut: the cut falls between characters,
    // never inside one, so the raw UTF-8 or Shift_JIS text is still read as itself.
    const padded = '【三井住友カード】ご確認ください' + 'あ'.repeat(20_000);
    for (const bytes of [Buffer.from(padded), iconv.encode(padded, 'shift_jis'), Buffer.concat([Buffer.from('x'), iconv.encode(padded, 'shift_jis')])]) {
      const subject = await subjectOf(bytes);
      expect(subject).toMatch(/^x?【三井住友カード】ご確認ください/);
      expect(subject.length).toBeGreaterThan(16_000);
      expect(subject.length).toBeLessThanOrEqual(16 * 1024);
    }
  });

  it('numbers nested multiparts IMAP-style and keeps inline parts', async () => {
    const tree = await walkMime(load('mail-ruby/mime_emails/raw_email_with_nested_attachment.eml'), 100);
    expect(tree.leaves.map((l) => `${l.partId}:${l.contentType}`)).toEqual(['1.1:text/plain', '1.2:image/png', '2:application/pkcs7-signature']);
    expect(tree.leaves[1]?.bytes.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
  });

  it('decodes base64 and quoted-printable, RFC 2231 names included', async () => {
    const tree = await walkMime(mailOf({ body: 'x', attachments: [{ name: '請求書 2026年11月.xlsm', bytes: Buffer.from([0, 1, 2, 255]) }] }), 100);
    expect(tree.leaves[1]?.filename).toBe('請求書 2026年11月.xlsm');
    expect([...(tree.leaves[1]?.bytes ?? [])]).toEqual([0, 1, 2, 255]);
    const qp = Buffer.from('Subject: q\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E3=83=91=E3=82=B9=E3=83=AF=E3=83=BC=E3=83=89=EF=BC=9Aabc=\r\n123\r\n');
    const leaf = (await walkMime(qp, 10)).leaves[0];
    expect(leaf?.bytes.toString('utf8')).toBe('パスワード：abc123\r\n');
  });

  it('refuses more parts than allowed', async () => {
    const many = mailOf({ body: 'x', attachments: Array.from({ length: 20 }, (_, i) => ({ name: `${i}.txt`, bytes: Buffer.from('x') })) });
    await expect(walkMime(many, 5)).rejects.toMatchObject({ reason: 'parts' });
  });

  it('reads the passwords a message states, from an ISO-2022-JP body and from HTML', async () => {
    const jis = await walkMime(mailOf({ body: '添付ファイルのパスワードは「Kz8#pQ」です。', attachments: [] }), 10);
    expect(messagePasswords(jis, 10)).toContain('Kz8#pQ');
    const html = Buffer.from('Subject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>解凍パスワード&#65306;<b>hX7-2q</b></p>\r\n');
    expect(messagePasswords(await walkMime(html, 10), 10)).toContain('hX7-2q');
    const sa = await walkMime(load('mail-spamassassin/olevbmacro/zippwmacro.eml'), 10);
    expect(messagePasswords(sa, 10)).toContain('sa');
  });
});

describe('walkMime: identity fields of the root', () => {
  it('keeps the first and the last 50 From fields of a block of hundreds', async () => {
    const froms = Array.from({ length: 300 }, (_, i) => `From: n${i} <a${i}@x.example>`);
    const tree = await walkMime(Buffer.from(`${froms.join('\r\n')}\r\nSubject: s\r\n\r\nhi\r\n`), 10);
    expect(tree.headers.from).toHaveLength(100);
    expect(tree.headers.from[0]).toBe('n0 <a0@x.example>');
    expect(tree.headers.from[49]).toBe('n49 <a49@x.example>');
    expect(tree.headers.from[50]).toBe('n250 <a250@x.example>');
    expect(tree.headers.from[99]).toBe('n299 <a299@x.example>');
  });
});
