#!/usr/bin/env node
// Builds samples/*.eml for `npm run demo` from the real material in test/fixtures/ (copies
// of ../shared/corpus/ with their sources and licences beside them): `node samples/build-samples.mjs [OUTDIR]`.
// The output is deterministic (fixed dates, ids and zip timestamps), so the committed
// samples can be checked against this script (test/samples/samples.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test/fixtures');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'samples'));
const fixture = (rel) => readFileSync(path.join(FIXTURES, rel));

const CRLF = '\r\n';
const b64lines = (bytes) => bytes.toString('base64').match(/.{1,76}/g).join(CRLF);
const word = (text) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;

/** A message with a UTF-8 text part and optional attachments (RFC 2231 file names). */
function mail({ from, to = 'tanaka@example.co.jp', subject, date, id, text, attachments = [] }) {
  const head = [`From: ${from}`, `To: ${to}`, `Subject: ${/^[\x20-\x7e]*$/.test(subject) ? subject : word(subject)}`, `Date: ${date}`, `Message-ID: <${id}>`, 'MIME-Version: 1.0'];
  const textPart = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', b64lines(Buffer.from(text))];
  if (attachments.length === 0) return Buffer.from([...head, ...textPart, ''].join(CRLF));
  const boundary = `=_sekisho_sample_${id.replace(/[^a-z0-9]/gi, '')}`;
  const parts = [textPart, ...attachments.map((a) => [
    `Content-Type: ${a.type}; name*=UTF-8''${encodeURIComponent(a.name)}`,
    `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(a.name)}`,
    'Content-Transfer-Encoding: base64',
    '',
    b64lines(a.bytes),
  ])];
  return Buffer.from([...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', ...parts.flatMap((p) => [`--${boundary}`, ...p]), `--${boundary}--`, ''].join(CRLF));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip of stored (uncompressed) files with UTF-8 names (flag bit 11), time fixed at 2026-11-22 09:00. */
function zip(files) {
  const time = (9 << 11) | (0 << 5);
  const date = ((2026 - 1980) << 9) | (11 << 5) | 22;
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, bytes } of files) {
    const n = Buffer.from(name);
    const crc = crc32(bytes);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(0, 8);
    local.writeUInt16LE(time, 10); local.writeUInt16LE(date, 12); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(bytes.length, 18); local.writeUInt32LE(bytes.length, 22); local.writeUInt16LE(n.length, 26); local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10); central.writeUInt16LE(time, 12); central.writeUInt16LE(date, 14); central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(bytes.length, 20); central.writeUInt32LE(bytes.length, 24); central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, bytes);
    centrals.push(central, n);
    offset += local.length + n.length + bytes.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A real phishing host JPCERT/CC saw imitating 三井住友カード (test/fixtures/jpcert-phishurl). */
function jpcertUrl(pattern) {
  const rows = gunzipSync(fixture('jpcert-phishurl/phishurl-2019-2021.csv.gz')).toString('utf8').split('\n');
  const row = rows.find((r) => pattern.test(r));
  if (!row) throw new Error(`no JPCERT row matches ${pattern}`);
  return row.split(',')[1];
}

const DATE = 'Sun, 22 Nov 2026 09:00:00 +0900';
const samples = {
  '01-clean-japanese.eml': fixture('mail-ruby/multi_charset/japanese_iso_2022.eml'),
  '02-brand-phish-japanese.eml': mail({
    from: `${word('三井住友カード')} <info@smbc-card.com.colourconmy.com>`,
    subject: '【三井住友カード】ご利用確認のお願い',
    date: DATE,
    id: 'sample-02@demo.sekisho',
    text: [
      '三井住友カードをご利用いただき、ありがとうございます。',
      'お客様のカードに第三者による不正利用の可能性があるため、ご利用を一時停止しております。',
      '以下のURLより24時間以内に本人確認をお願いいたします。',
      '',
      jpcertUrl(/,https?:\/\/smbc-card\.com\.colourconmy\.com\/,/),
      '',
      '三井住友カード株式会社',
    ].join('\n'),
  }),
  '03-zipped-macro.eml': mail({
    from: `${word('経理部 山田')} <yamada@partner-shoji.example>`,
    subject: '請求書の送付（11月分）',
    date: DATE,
    id: 'sample-03@demo.sekisho',
    text: 'お世話になっております。11月分の請求書をお送りします。ご確認ください。',
    attachments: [{ name: '請求書.zip', type: 'application/zip', bytes: zip([{ name: '請求書_1122.xlsm', bytes: fixture('office-oletools/excel4-macros/excel4_sample_macro.xlsm') }]) }],
  }),
  '04-password-zip.eml': fixture('mail-spamassassin/olevbmacro/zippwmacro.eml'),
  '05-impersonation-english.eml': mail({
    from: 'Apple Support <no-reply@appleid-verify-account.com>',
    subject: 'Your Apple ID has been locked',
    date: DATE,
    id: 'sample-05@demo.sekisho',
    text: [
      'Dear Customer,',
      '',
      'Your Apple ID has been locked for security reasons after unusual sign-in activity.',
      'To restore access, please verify your account within 24 hours:',
      '',
      'https://appleid-verify-account.com/signin',
      '',
      'Apple Support',
    ].join('\n'),
  }),
  '06-display-name-only.eml': mail({
    from: 'Amazon.com <orders@shipping-status.example>',
    subject: 'Your order has shipped',
    date: DATE,
    id: 'sample-06@demo.sekisho',
    text: 'Your package is on its way. Track it at https://shipping-status.example/track/1122',
  }),
};

for (const [name, bytes] of Object.entries(samples)) {
  writeFileSync(path.join(OUT, name), bytes);
  console.log(`${path.join(OUT, name)} (${bytes.length} bytes)`);
}
