import Encoding from 'encoding-japanese';
import { loadCatalog } from '../../src/brand/load-catalog.js';
import { loadConfusables } from '../../src/brand/load-confusables.js';
import { BrandChecker, type BrandSettings } from '../../src/core/brand/brand-checker.js';
import type { BrandEntry } from '../../src/core/brand/catalog.js';
import { inspect } from '../../src/core/inspect.js';
import type { Finding, Verdict } from '../../src/core/verdict.js';

/** A catalog entry with the schema's defaults, for small test catalogs. */
export function brand(id: string, names: string[], domains: string[], more: Partial<BrandEntry> = {}): BrandEntry {
  return { id, name: names[0] ?? id, names, case_sensitive: [], domains, mailboxes: [], senders: [], keywords: [], neighbours: [], ...more };
}

/** The catalog shipped in config/brands.yaml, as the daemon loads it. */
export function shippedEntries(): BrandEntry[] {
  const { entries, problems } = loadCatalog({ local: [] });
  if (problems.length > 0) throw new Error(`shipped catalog: ${problems.join('; ')}`);
  return entries;
}

let shipped: BrandChecker | undefined;

export function shippedChecker(): BrandChecker {
  shipped ??= new BrandChecker(shippedEntries(), loadConfusables());
  return shipped;
}

export function checkerOf(entries: BrandEntry[], settings?: Partial<BrandSettings>): BrandChecker {
  return new BrandChecker(entries, loadConfusables(), { allowDomains: [], trustedAuthservIds: [], ...settings });
}

export interface BrandMail {
  /** Whole From value, e.g. `"Apple サポート" <a@b.example>`; non-ASCII names are RFC 2047-encoded. */
  readonly from: string;
  readonly subject?: string;
  readonly replyTo?: string;
  readonly sender?: string;
  readonly text?: string;
  readonly html?: string;
  readonly headers?: readonly string[];
  /** Body charset: Japanese mail clients still send ISO-2022-JP. */
  readonly charset?: 'utf-8' | 'iso-2022-jp';
}

/** A message as a mail client writes it: encoded-word headers, a text and/or an HTML part. */
export function brandMail(m: BrandMail): Buffer {
  const head = [
    `From: ${encodeAddress(m.from)}`,
    'To: user@example.net',
    `Subject: ${encodeWord(m.subject ?? 'お知らせ')}`,
    ...(m.replyTo ? [`Reply-To: ${encodeAddress(m.replyTo)}`] : []),
    ...(m.sender ? [`Sender: ${encodeAddress(m.sender)}`] : []),
    ...(m.headers ?? []),
    'Date: Sun, 22 Nov 2026 10:00:00 +0900',
    'Message-ID: <brand-test@example.net>',
    'MIME-Version: 1.0',
  ];
  const parts: Array<[string, string]> = [];
  if (m.text !== undefined) parts.push(['text/plain', m.text]);
  if (m.html !== undefined) parts.push(['text/html', m.html]);
  const part = ([type, content]: [string, string]): string[] => {
    if (m.charset === 'iso-2022-jp' && type === 'text/plain') {
      const jis = Buffer.from(Encoding.convert(Encoding.stringToCode(content), { to: 'JIS', from: 'UNICODE' }) as number[]);
      return [`Content-Type: ${type}; charset=ISO-2022-JP`, 'Content-Transfer-Encoding: 7bit', '', jis.toString('latin1')];
    }
    return [`Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', ...(Buffer.from(content).toString('base64').match(/.{1,76}/g) ?? [])];
  };
  let lines: string[];
  if (parts.length <= 1) {
    lines = [...head, ...part(parts[0] ?? ['text/plain', ''])];
  } else {
    const b = 'brand-test-boundary';
    lines = [...head, `Content-Type: multipart/alternative; boundary="${b}"`, '', ...parts.flatMap((p) => [`--${b}`, ...part(p)]), `--${b}--`];
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

/**
 * The name RFC 2047-encoded; a non-ASCII address (an IDN written as Unicode) as UTF-8 bytes,
 * as RFC 6532 mail carries it (the message is built as latin1 characters, one per byte).
 */
function encodeAddress(value: string): string {
  const m = /^"?(.*?)"?\s*<([^>]*)>$/.exec(value);
  const name = m?.[1] ?? '';
  const encoded = !m || /^[\x20-\x7e]*$/.test(name) ? value : `${encodeWord(name)} <${m[2] ?? ''}>`;
  return /^[\x00-\x7f]*$/.test(encoded) ? encoded : Buffer.from(encoded, 'utf8').toString('latin1');
}

/** Inspects a mail with a brand checker, as the daemon does. */
export async function inspectBrand(mail: Buffer, checker: BrandChecker, mailFrom = 'bounce@mailer.example'): Promise<Verdict> {
  return inspect({ mailFrom, rcptTo: ['user@example.net'] }, mail, { brands: checker });
}

export function brandOnly(v: Verdict): Finding[] {
  return v.findings.filter((f) => f.detector === 'brand');
}

export const RANK = { info: 0, low: 1, medium: 2, high: 3 } as const;

/** Brand findings at `medium` or above: what makes a message suspicious. */
export function suspiciousBrand(v: Verdict): Finding[] {
  return brandOnly(v).filter((f) => RANK[f.severity] >= RANK.medium);
}
