import type { VerdictName } from '../core/verdict.js';
import type { ListFilter } from '../quarantine/quarantine-store.js';
import { HttpError } from './http-util.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

const VERDICTS: readonly VerdictName[] = ['clean', 'suspicious', 'malicious', 'unscannable'];
const PARAMETERS = new Set(['since', 'until', 'sender', 'recipient', 'verdict', 'q', 'released', 'offset', 'limit']);
/** A date, or a date and time with an optional zone: what `<input type=date>` and toISOString() give. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
/** Free-text fields are substrings; nobody types more than this into a search box. */
const MAX_TEXT = 256;

export interface ListQuery extends ListFilter {
  readonly offset: number;
  readonly limit: number;
}

/**
 * The list filter of the API and the web page from a query string. Empty values count as
 * absent (an HTML form sends every field); a bad value or an unknown parameter is a 400
 * naming it, so that a typo ("recipent=") does not silently list everything.
 */
export function parseListQuery(params: URLSearchParams): ListQuery {
  for (const key of params.keys()) if (!PARAMETERS.has(key)) throw bad(key, 'unknown parameter');
  const value = (key: string): string | undefined => {
    const v = params.get(key)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const text = (key: string): string | undefined => {
    const v = value(key);
    if (v !== undefined && v.length > MAX_TEXT) throw bad(key, `longer than ${MAX_TEXT} characters`);
    return v;
  };
  const date = (key: string): Date | undefined => {
    const v = value(key);
    if (v === undefined) return undefined;
    const ms = ISO_DATE.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) throw bad(key, 'expected an ISO 8601 date such as 2025-04-01 or 2025-04-01T09:00:00+09:00');
    return new Date(ms);
  };
  const integer = (key: string, min: number, max: number, fallback: number): number => {
    const v = value(key);
    if (v === undefined) return fallback;
    const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw bad(key, `expected an integer from ${min} to ${max}`);
    return n;
  };

  const verdict = value('verdict');
  if (verdict !== undefined && !VERDICTS.includes(verdict as VerdictName)) throw bad('verdict', `expected one of ${VERDICTS.join(', ')}`);
  const released = value('released');
  if (released !== undefined && released !== 'true' && released !== 'false') throw bad('released', 'expected true or false');

  return {
    since: date('since'),
    until: date('until'),
    sender: text('sender'),
    recipient: text('recipient'),
    verdict: verdict as VerdictName | undefined,
    text: text('q'),
    released: released === undefined ? undefined : released === 'true',
    offset: integer('offset', 0, 1e9, 0),
    limit: integer('limit', 1, MAX_LIMIT, DEFAULT_LIMIT),
  };
}

function bad(parameter: string, why: string): HttpError {
  return new HttpError(400, `bad parameter ${parameter}: ${why}`);
}

/** Longest address RFC 5321 §4.5.3.1 lets through a path. */
const MAX_ADDRESS = 254;
const MAX_RECIPIENTS = 100;
/**
 * local@domain with nothing that could end or extend an SMTP command: the address goes
 * into `RCPT TO:<…>` on the wire, so CR, LF, spaces and angle brackets must never reach it.
 * Non-ASCII is allowed (SMTPUTF8 addresses); control characters are not.
 */
const ADDRESS = /^[^\s<>()[\]\\,;:"@\p{Cc}]+@[^\s<>()[\]\\,;:"@\p{Cc}]+$/u;

/** Recipients an admin typed or posted, checked one by one; the first bad one is a 400 naming it. */
export function parseRecipients(values: readonly unknown[]): string[] {
  if (values.length > MAX_RECIPIENTS) throw new HttpError(400, `at most ${MAX_RECIPIENTS} recipients`);
  return values.map((v) => {
    if (typeof v !== 'string' || v.length > MAX_ADDRESS || !ADDRESS.test(v)) {
      throw new HttpError(400, `bad recipient: ${JSON.stringify(typeof v === 'string' ? v.slice(0, 100) : v)}`);
    }
    return v;
  });
}
