import { parse as parseDomain } from 'tldts';
import { cls, LDH, PATH, trimEnd, WORDISH } from './links-chars.js';
import { FILE_EXTENSIONS } from './links-lists.js';

/**
 * Bare domains in running text ("amazon-co-jp.xyz からログイン"): no scheme, no "www.".
 * This is where false positives come from (file names, versions, addresses, prose), so the
 * rules are strict and each has a reason below.
 */

/** Title-case TLD words that end ordinary sentences glued without a space ("Co.Ltd", "Inc.Tokyo"). */
const TITLE_CASE_OK = new Set(['com', 'net', 'org', 'info', 'biz']);

/**
 * Whether a bare string like "amazon-co-jp.xyz" is a domain. This is where false positives
 * come from, so: at least two labels of letters/digits/hyphens; a TLD that is on the
 * public suffix list's ICANN section (via tldts) and is not a file extension ("invoice.pdf",
 * "資料.zip", "動画.mov" are files); a registrable domain below it (not just "co.jp").
 */
export function isPlausibleBareDomain(cand: string): boolean {
  // Most runs in prose are single words: no dot, no domain, and no array to split them into.
  if (cand.length < 4 || cand.length > 253 || !cand.includes('.')) return false;
  const labels = cand.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return false;
    if (label.startsWith('-') || label.endsWith('-')) return false;
  }
  const tld = labels[labels.length - 1] ?? '';
  if (!/[A-Za-z]/.test(tld)) return false; // "1.2.3", "2021.10.01"
  const lowerTld = tld.toLowerCase();
  if (FILE_EXTENSIONS.has(lowerTld)) return false;
  // "Co.Ltd", "Inc.Tokyo": a capitalised word after a dot is prose, not a TLD someone typed.
  if (
    tld.length >= 3 &&
    tld[0] !== lowerTld[0] &&
    tld.slice(1) === lowerTld.slice(1) &&
    !TITLE_CASE_OK.has(lowerTld)
  ) {
    return false;
  }
  const r = parseDomain(cand.toLowerCase());
  return r.isIcann === true && r.domain !== null && !r.isIp;
}

/** Characters that, right before a bare domain, show it is part of something else. */
const NOT_BEFORE_BARE = '@/\\_%=&?#~+$';

/**
 * Bare domains in t[from, to). Returns false when `emit` asked to stop.
 *
 * A domain has a dot, so only the runs of letters, digits, dots and hyphens around a dot
 * are looked at: each dot is found with indexOf and its run taken once (prose has a dot a
 * sentence; judging every word of it was a fifth of inspecting a plain message). Each
 * character is visited a bounded number of times: linear on any input.
 */
export function scanBare(
  t: string,
  from: number,
  to: number,
  emit: (start: number, end: number) => boolean,
): boolean {
  let pos = from;
  while (pos < to) {
    const dot = t.indexOf('.', pos);
    if (dot < 0 || dot >= to) return true;
    // The maximal run around the dot, not reaching back before where the last one ended.
    let j = dot;
    while (j > pos && cls(t, j - 1) & LDH) j--;
    let k = dot + 1;
    while (k < to && cls(t, k) & LDH) k++;
    const found = bareAt(t, j, k, to);
    if (found !== null) {
      if (!emit(found[0], found[1])) return false;
      pos = Math.max(found[2], k);
    } else {
      pos = k;
    }
  }
  return true;
}

/**
 * Evaluates the run of letters/digits/dots/hyphens t[j, k) as a bare domain; returns
 * [start, end of candidate, end of scan] or null.
 */
function bareAt(t: string, j: number, k: number, to: number): [number, number, number] | null {
  const before = j > 0 ? (t[j - 1] ?? '') : '';
  if (before !== '' && NOT_BEFORE_BARE.includes(before)) return null;
  // "請求書.xlsx", "テスト.example.com": a dot glued to a preceding word is a file name or
  // an IDN we cannot delimit in unspaced Japanese; neither is taken.
  if (t[j] === '.' && before !== '' && WORDISH.test(before)) return null;
  const after = k < t.length ? (t[k] ?? '') : '';
  if (after === '@' || after === '_') return null; // "taro.yamada@…" is an address
  let s = j;
  let e = k;
  while (s < e && (t[s] === '.' || t[s] === '-')) s++;
  while (e > s && (t[e - 1] === '.' || t[e - 1] === '-')) e--;
  if (!isPlausibleBareDomain(t.slice(s, e))) return null;
  if (e === k && after === '/') {
    let i = k;
    while (i < to && cls(t, i) & PATH) i++;
    return [s, trimEnd(t, s, i), i];
  }
  return [s, e, k];
}
