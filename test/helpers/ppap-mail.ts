import Encoding from 'encoding-japanese';
import { zipOf } from './wrappings.js';

/**
 * The two mails of PPAP, as Japanese business mail sends them: an invoice in a password
 * zip ("パスワードは別途お送りします"), then "パスワードのお知らせ" in ISO-2022-JP.
 */

export const PASSWORD = 'Kx7#mQ2vL9';
export const SENDER = 'tanaka@partner.example';
export const RCPT = 'suzuki@corp.example';

function iso2022jp(text: string): string {
  return Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' })).toString('latin1');
}

function b64(s: string): string {
  return `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
}

/** The first mail: an invoice in a password zip, the password "sent separately". */
export function zipMail(id: string, inside: { name: string; bytes: Buffer }, password = PASSWORD): Buffer {
  const zip = zipOf([inside], password);
  const boundary = `b_${id}`;
  return Buffer.from(
    [
      `From: ${b64('田中 太郎')} <${SENDER}>`,
      `To: ${RCPT}`,
      `Subject: ${b64('請求書の送付')}`,
      `Message-ID: <zip-${id}@partner.example>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=ISO-2022-JP',
      '',
      iso2022jp('請求書をお送りします。パスワードは別途お送りします。'),
      `--${boundary}`,
      `Content-Type: application/zip; name="invoice.zip"`,
      'Content-Disposition: attachment; filename="invoice.zip"',
      'Content-Transfer-Encoding: base64',
      '',
      zip.toString('base64').replace(/.{76}(?!$)/g, '$&\r\n'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** The second mail: "パスワードのお知らせ", ISO-2022-JP, as Japanese clients send it. */
export function passwordMail(id: string, password = PASSWORD, from = SENDER): Buffer {
  return Buffer.from(
    [
      `From: ${b64('田中 太郎')} <${from}>`,
      `To: ${RCPT}`,
      `Subject: ${b64('パスワードのお知らせ')}`,
      `Message-ID: <pw-${id}@partner.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=ISO-2022-JP',
      '',
      iso2022jp(`先ほどお送りした添付ファイルの解凍パスワードをお知らせします。\r\n\r\n解凍パスワード：${password}\r\n\r\nよろしくお願いいたします。`),
      '',
    ].join('\r\n'),
    'latin1',
  );
}

