import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { QuarantineMeta } from '../../src/quarantine/quarantine-store.js';
import { newTransactionId } from '../../src/message/transaction-id.js';

export function tempQuarantineDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sekisho-quarantine-'));
}

/** A message as a quarantine holds it, CRLF line ends, with a Japanese subject by default. */
export function heldMessage(subject = '=?UTF-8?B?' + Buffer.from('請求書の送付').toString('base64') + '?=', body = 'パスワードは別送します。'): Buffer {
  return Buffer.from(
    ['From: "経理部" <keiri@partner.example>', 'To: user@example.net', `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body, ''].join('\r\n'),
  );
}

/** Realistic metadata for a held message; `over` replaces any field. */
export function metaFor(message: Buffer, over: Partial<QuarantineMeta> = {}): QuarantineMeta {
  return {
    id: newTransactionId(),
    received_at: '2026-11-22T01:00:00.000Z',
    quarantined_at: '2026-11-22T01:00:01.000Z',
    mail_from: 'keiri@partner.example',
    rcpt_to: ['user@example.net'],
    mail_params: { body: '8BITMIME' },
    rcpt_params: [{ notify: ['FAILURE'], orcpt: 'rfc822;user@example.net' }],
    client: { addr: '203.0.113.5', name: 'mail.partner.example', helo: 'mail.partner.example', proto: 'ESMTP' },
    size: message.length,
    sha256: '0'.repeat(64),
    subject: '請求書の送付',
    from: '"経理部" <keiri@partner.example>',
    verdict: 'malicious',
    score: 100,
    findings: [{ detector: 'macro', code: 'vba', severity: 'high', summary: 'VBA macros in 2/invoice.zip/請求書.xlsm', evidence: { part: '2/invoice.zip/請求書.xlsm' } }],
    reason: 'VBA macros in 2/invoice.zip/請求書.xlsm',
    ...over,
  };
}
