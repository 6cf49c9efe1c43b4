import Encoding from 'encoding-japanese';
import { infoZip, removeDir, tempDir } from './archive-tools.js';

/**
 * Ways an attacker wraps a file, built in test setup: real Info-ZIP archives (plain and
 * password) and hand-written MIME for the mail around them.
 */

export interface NamedFile {
  readonly name: string;
  readonly bytes: Buffer;
}

/** A zip of the files, made by Info-ZIP `zip` (with a password: ZipCrypto). */
export function zipOf(files: readonly NamedFile[], password?: string): Buffer {
  const dir = tempDir('wrap');
  try {
    return infoZip(dir, password, Object.fromEntries(files.map((f) => [f.name, f.bytes])));
  } finally {
    removeDir(dir);
  }
}

export interface MailParts {
  readonly subject?: string;
  /** Body text, sent as ISO-2022-JP as Japanese mail clients do. */
  readonly body: string;
  readonly attachments: readonly NamedFile[];
}

/** A multipart/mixed message: an ISO-2022-JP text part and base64 attachments (RFC 2231 names). */
export function mailOf(parts: MailParts): Buffer {
  const boundary = `----=_sekisho_${Math.random().toString(36).slice(2)}`;
  const lines: string[] = [
    'From: "請求書 担当" <billing@example.com>',
    'To: user@example.net',
    `Subject: =?UTF-8?B?${Buffer.from(parts.subject ?? '請求書の送付').toString('base64')}?=`,
    'Date: Sun, 22 Nov 2026 10:00:00 +0900',
    'Message-ID: <wrap@example.com>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=ISO-2022-JP',
    'Content-Transfer-Encoding: 7bit',
    '',
    iso2022jp(parts.body.replace(/\n/g, '\r\n')),
  ];
  for (const a of parts.attachments) {
    const encodedName = `UTF-8''${encodeURIComponent(a.name)}`;
    lines.push(
      `--${boundary}`,
      `Content-Type: application/octet-stream; name*=${encodedName}`,
      `Content-Disposition: attachment; filename*=${encodedName}`,
      'Content-Transfer-Encoding: base64',
      '',
      a.bytes.toString('base64').replace(/.{76}(?!$)/g, '$&\r\n'),
    );
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** ISO-2022-JP (JIS) bytes as a latin1 string: 7-bit, with ESC sequences between scripts. */
function iso2022jp(text: string): string {
  return Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' })).toString('latin1');
}

/**
 * The attachment `name` of a saved mail, decoded with a plain regex (not with the code
 * under test): the corpus mails are simple multipart messages with base64 attachments.
 */
export function attachmentOf(eml: Buffer, name: string): Buffer {
  const text = eml.toString('latin1');
  const at = text.search(new RegExp(`name="?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`));
  if (at === -1) throw new Error(`no attachment ${name}`);
  const headerEnd = text.indexOf('\n\n', at) !== -1 && (text.indexOf('\r\n\r\n', at) === -1 || text.indexOf('\n\n', at) < text.indexOf('\r\n\r\n', at)) ? text.indexOf('\n\n', at) + 2 : text.indexOf('\r\n\r\n', at) + 4;
  const end = text.indexOf('\n--', headerEnd);
  return Buffer.from(text.slice(headerEnd, end === -1 ? undefined : end).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
}
