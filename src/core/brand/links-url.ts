import { domainToUnicode } from 'node:url';
import { OPAQUE_REWRITER_PATTERN, OPAQUE_REWRITER_SUFFIXES, SHORTENER_HOSTS } from './links-lists.js';
import { redirectTarget } from './links-redirectors.js';

/**
 * From a URL string to the host a browser would contact. All parsing is the WHATWG URL
 * parser built into Node (the one browsers implement), so the tricks that fool a regex
 * fool nothing here: userinfo ("https://www.apple.com@evil.example/" goes to
 * evil.example), backslashes, percent-encoded hosts, full-width host characters (UTS #46
 * mapping), and decimal/hex/octal IPv4 ("http://1759444905/" is 104.223.15.169).
 */

/** How many redirectors deep we look; real mail has at most two (Safe Links around Proofpoint). */
const MAX_UNWRAP = 3;

/** Longer URL text is cut before parsing: the host is near the start, and this bounds the work. */
export const MAX_URL_CHARS = 8192;

const IPV4_DOTTED = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Parses `s` (against `base` when given) and keeps it only when it is http or https. */
export function parseHttpUrl(s: string, base?: string | URL): URL | null {
  let u: URL;
  try {
    u = base === undefined ? new URL(s) : new URL(s, base);
  } catch {
    return null;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
}

function stripTrailingDots(h: string): string {
  let end = h.length;
  while (end > 0 && h[end - 1] === '.') end--;
  return h.slice(0, end);
}

export interface HostInfo {
  /** Lower-case Unicode host, or the IP literal ("104.223.15.169", "[2001:db8::1]"). */
  readonly host: string;
  readonly isIp: boolean;
}

/**
 * The host of a parsed http(s) URL as the brand logic wants it; null when there is none
 * worth reporting. Single-label names ("http://intranet/") are dropped: they cannot be
 * anyone's brand domain on the internet, and in text they are mostly prose ("http://です").
 */
export function hostInfo(u: URL): HostInfo | null {
  const h = u.hostname;
  if (h === '') return null;
  // WHATWG has already normalised every IPv4 spelling to a dotted quad, and IPv6 to its
  // compressed bracketed form.
  if (h.startsWith('[') || IPV4_DOTTED.test(h)) return { host: h, isIp: true };
  // "amazon.co.jp." is the same site as "amazon.co.jp" to a browser.
  const ascii = stripTrailingDots(h);
  if (!ascii.includes('.')) return null;
  const unicode = domainToUnicode(ascii);
  return { host: (unicode === '' ? ascii : unicode).toLowerCase(), isIp: false };
}

/** True for URL shorteners and opaque link-protection tokens (destination not in the URL). */
export function isShortenerHost(asciiHost: string): boolean {
  const bare = stripTrailingDots(asciiHost);
  const h = bare.startsWith('www.') ? bare.slice(4) : bare;
  if (SHORTENER_HOSTS.has(h)) return true;
  if (OPAQUE_REWRITER_PATTERN.test(h)) return true;
  return OPAQUE_REWRITER_SUFFIXES.some((suffix) => h.endsWith(suffix));
}

export interface ResolvedLink {
  readonly url: string;
  readonly host: string;
  readonly isIp: boolean;
  readonly shortener: boolean;
  readonly via?: string;
}

/**
 * Follows known redirectors (by decoding only) from (`raw`, `u`) and describes where the
 * link ends up. `raw` is the URL text as found; `u` its parse.
 */
export function resolveLink(raw: string, u: URL): ResolvedLink | null {
  const first = hostInfo(u);
  if (first === null) return null;
  let url = raw;
  let cur = u;
  let info = first;
  let via: string | undefined;
  for (let depth = 0; depth < MAX_UNWRAP; depth++) {
    const dest = redirectTarget(url, cur);
    if (dest === null) break;
    const destUrl = parseHttpUrl(dest.slice(0, MAX_URL_CHARS));
    const destInfo = destUrl === null ? null : hostInfo(destUrl);
    // A parameter that is not an absolute http(s) URL (a search term, a relative path) is
    // not a destination: keep the redirector itself as the link.
    if (destUrl === null || destInfo === null) break;
    // The outermost redirector is the one the reader sees and clicks.
    via ??= info.host;
    url = dest;
    cur = destUrl;
    info = destInfo;
  }
  const link: ResolvedLink = {
    url,
    host: info.host,
    isIp: info.isIp,
    shortener: !info.isIp && isShortenerHost(cur.hostname),
  };
  return via === undefined ? link : { ...link, via };
}
