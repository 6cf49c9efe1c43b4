import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import Encoding from 'encoding-japanese';
import { fieldKey, fieldValue, parseHeaderBlock } from '../../src/message/header-block.js';
import { fieldText } from '../../src/message/header-text.js';
import { parseAddressField } from '../../src/message/mailbox.js';

/** One From/Sender form of test/fixtures/from-headers/from-headers.jsonl (SOURCES.md says what each field means). */
export interface FromRow {
  readonly id: string;
  readonly source: string;
  /** "code:brand" the full inspection must give at medium or above; null for a form that must stay clean. */
  readonly finding: string | null;
  /** The header fields as text, "\n" between fields and before continuation lines. */
  readonly header: string;
  /** When set, the header is written in this charset as raw 8-bit bytes (no encoded-words). */
  readonly charset?: 'shift_jis' | 'euc-jp' | 'iso-2022-jp';
  /** Display texts of the From fields, then of the Sender fields, each once. */
  readonly texts: readonly string[];
  /** Addresses shown as text (of mailboxes without a name), From's then Sender's, each once. */
  readonly shown: readonly string[];
  /** Addresses of the From fields, then of the Sender fields. */
  readonly addresses: readonly string[];
  /** Why a spoof the inspection knowingly misses is missed. */
  readonly missed?: string;
}

export const FROM_CORPUS = new URL('../fixtures/from-headers/from-headers.jsonl', import.meta.url);

export function loadFromCorpus(): FromRow[] {
  return readFileSync(FROM_CORPUS, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FromRow);
}

/** The header fields as the bytes on the wire: CRLF, and the row's raw charset if it has one. */
export function headerBytes(row: Pick<FromRow, 'header' | 'charset'>): Buffer {
  const text = `${row.header.split('\n').join('\r\n')}\r\n`;
  if (row.charset === 'iso-2022-jp') return Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' }) as number[]);
  if (row.charset) return iconv.encode(text, row.charset);
  return Buffer.from(text, 'utf8');
}

/** Display texts and addresses of the From and Sender fields of the bytes, as the parser reads them. */
export function parsedIdentity(bytes: Buffer): { texts: string[]; shown: string[]; addresses: string[] } {
  const texts: string[] = [];
  const shown: string[] = [];
  const addresses: string[] = [];
  const once = (list: string[], seen: Set<string>, items: readonly string[]) => {
    for (const t of items) if (!seen.has(t)) seen.add(t) && list.push(t);
  };
  for (const key of ['from', 'sender']) {
    const seen = { texts: new Set<string>(), shown: new Set<string>() };
    for (const field of parseHeaderBlock(bytes).fields) {
      if (field.name === '' || fieldKey(field) !== key) continue;
      const parsed = parseAddressField(fieldText(fieldValue(field)));
      once(texts, seen.texts, parsed.texts);
      once(shown, seen.shown, parsed.shownAddresses);
      for (const m of parsed.mailboxes) addresses.push(m.address);
    }
  }
  return { texts, shown, addresses };
}

/** A whole message around the row's header fields: neutral text, no lure, no links. */
export function corpusMail(row: Pick<FromRow, 'id' | 'header' | 'charset'>): Buffer {
  const rest = [
    'To: user@example.net',
    'Subject: =?UTF-8?B?44GK55+l44KJ44Gb?=',
    'Date: Thu, 3 Dec 2026 10:00:00 +0900',
    `Message-ID: <${row.id}@from-corpus.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'ご確認ください。',
    '',
  ].join('\r\n');
  return Buffer.concat([headerBytes(row), Buffer.from(rest, 'utf8')]);
}
