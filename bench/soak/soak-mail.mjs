// The soak's traffic mix: what real mail and real attacks look like to sekisho. Clean mail
// comes from the ham fixtures (130 messages from mail libraries' test suites), attacks from
// the spamassassin macro fixtures, a zip made here around one of their macro workbooks, a
// brand phish, and the hostile inputs of the filter issue (bench/adversarial-families.mjs).
// Each message gets its own Message-ID, the key of the ledger.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { FAMILY_NAMES, adversarialFamily } from '../adversarial-families.mjs';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures');

/** Mail wants CRLF; some fixtures were stored with bare LF. */
function crlf(buffer) {
  return Buffer.from(buffer.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** The message with its Message-ID field(s) replaced by one of ours, first in the header. */
export function withMessageId(message, id) {
  const text = message.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split + 2);
  const rest = split === -1 ? '' : text.slice(split + 2);
  const kept = [];
  let dropping = false;
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && dropping) continue;
    dropping = /^message-id:/i.test(line);
    if (!dropping) kept.push(line);
  }
  return Buffer.from(`Message-ID: <${id}>\r\n${kept.join('\r\n')}${rest}`, 'latin1');
}

/** The first Message-ID in a message, without its angle brackets. */
export function messageIdOf(message) {
  const head = message.subarray(0, Math.min(message.length, 64 * 1024)).toString('latin1');
  return /^Message-ID:[ \t]*<([^>\r\n]+)>/im.exec(head)?.[1];
}

/** Little-endian fields ([bytes, value]…) in order, as APPNOTE lists a record's fields. */
function record(fields) {
  return Buffer.concat(
    fields.map(([bytes, value]) => {
      const b = Buffer.alloc(bytes);
      if (bytes === 2) b.writeUInt16LE(value);
      else b.writeUInt32LE(value);
      return b;
    }),
  );
}

/** A zip holding one stored member (APPNOTE 4.3.7, 4.3.12, 4.3.16): a macro workbook, zipped. */
function storedZip(name, content) {
  const fileName = Buffer.from(name);
  const crc = crc32(content) >>> 0;
  const n = content.length;
  // signature, version (needed), flags, method 0 (stored), time, date, CRC-32, sizes, name length, extra length
  const local = record([[4, 0x04034b50], [2, 20], [2, 0], [2, 0], [2, 0], [2, 0], [4, crc], [4, n], [4, n], [2, fileName.length], [2, 0]]);
  // …and version made by, comment length, disk, attributes, the local header's offset
  const central = record([[4, 0x02014b50], [2, 20], [2, 20], [2, 0], [2, 0], [2, 0], [2, 0], [4, crc], [4, n], [4, n], [2, fileName.length], [2, 0], [2, 0], [2, 0], [2, 0], [4, 0], [4, 0]]);
  const centralSize = central.length + fileName.length;
  const end = record([[4, 0x06054b50], [2, 0], [2, 0], [2, 1], [2, 1], [4, centralSize], [4, local.length + fileName.length + n], [2, 0]]);
  return Buffer.concat([local, fileName, content, central, fileName, end]);
}

function attachmentMail(subject, fileName, type, content) {
  const b64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: "Accounts" <accounts@partner.example>',
      'To: user@example.net',
      `Subject: ${subject}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="soak-b"',
      '',
      '--soak-b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please see the attached file.',
      '--soak-b',
      `Content-Type: ${type}; name="${fileName}"`,
      `Content-Disposition: attachment; filename="${fileName}"`,
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--soak-b--',
      '',
    ].join('\r\n'),
  );
}

/** The base64 attachment named `fileName` of a fixture, decoded. */
function attachmentOf(message, fileName) {
  const text = message.toString('latin1');
  const at = text.indexOf(`filename="${fileName}"`);
  const body = text.slice(text.indexOf('\r\n\r\n', at) + 4);
  return Buffer.from(body.slice(0, body.indexOf('\r\n--')), 'base64');
}

const PHISH = crlf(
  Buffer.from(
    'From: "Amazon.co.jp" <account-update@amaz0n-security.example>\nTo: user@example.net\nSubject: =?UTF-8?B?44Ki44Kr44Km44Oz44OI56K66KqN?=\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>Amazon</p><p>Your account is locked. Verify now:</p><a href="https://amaz0n-login.example/verify">https://www.amazon.co.jp/ap/signin</a>\n',
  ),
);
const SUSPICIOUS = crlf(Buffer.from('From: "Mizuho" <info@mizuho-bank.example>\nTo: user@example.net\nSubject: notice\n\nhello https://www.mizuhobank.co.jp.secure-login.example/\n'));

/**
 * The kinds of message, each with its share of the traffic. `expect` is what the default
 * policy (plus the soak's one reject rule) does with it, for the report; the ledger does not
 * rely on it.
 */
export function mailKinds(maxMessageBytes) {
  const olevba = (name) => crlf(readFileSync(path.join(FIXTURES, 'mail-spamassassin/olevbmacro', name)));
  const hamDir = path.join(FIXTURES, 'mail-ham');
  const ham = readdirSync(hamDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'LICENSES')
    .flatMap((d) => readdirSync(path.join(hamDir, d.name)).map((f) => crlf(readFileSync(path.join(hamDir, d.name, f)))));
  const macros = ['macro.eml', 'malicemacro.eml', 'renamedmacro.eml'].map(olevba);
  const zipped = attachmentMail('invoice', 'invoice.zip', 'application/zip', storedZip('invoice.xlsm', attachmentOf(olevba('macro.eml'), 'macro.xlsm')));
  const filler = (bytes) => Buffer.from(`From: <bulk@partner.example>\r\nTo: user@example.net\r\nSubject: big\r\n\r\n${'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n'.repeat(Math.ceil(bytes / 66))}`);
  const pick = (list, r) => list[Math.floor(r() * list.length)];
  return [
    { kind: 'clean', share: 36, expect: 'relayed', make: (r) => pick(ham, r) },
    { kind: 'brand-phish', share: 10, expect: 'quarantined', make: () => PHISH },
    { kind: 'brand-suspicious', share: 4, expect: 'relayed (tagged)', make: () => SUSPICIOUS },
    { kind: 'macro', share: 8, expect: 'quarantined', make: (r) => pick(macros, r) },
    { kind: 'zipped-macro', share: 8, expect: 'quarantined', make: () => zipped },
    { kind: 'password-zip', share: 5, expect: 'quarantined', make: () => olevba('zippwmacro.eml') },
    { kind: 'encrypted-document', share: 3, expect: 'rejected (5xx, the soak policy)', make: () => olevba('encrypted.eml') },
    { kind: 'hostile', share: 18, expect: 'relayed or quarantined', make: (r) => adversarialFamily(pick(FAMILY_NAMES, r), 16 * 1024 + Math.floor(r() * 112 * 1024)) },
    { kind: 'large', share: 5, expect: 'relayed (or 451 4.3.1 over the in-flight budget)', make: (r) => filler(maxMessageBytes * (0.4 + r() * 0.5)) },
    { kind: 'oversized', share: 3, expect: 'rejected 552', make: () => filler(maxMessageBytes * 1.2) },
  ];
}

/** Draws a kind by share. */
export function drawKind(kinds, r) {
  const total = kinds.reduce((n, k) => n + k.share, 0);
  let x = r() * total;
  for (const k of kinds) if ((x -= k.share) < 0) return k;
  return kinds[kinds.length - 1];
}
