import { readHtml, trimC0, type HtmlReading } from '../mime/html-reading.js';
import { prepareText, scanText, type TextCandidate } from './links-text.js';
import { hostInfo, MAX_URL_CHARS, parseHttpUrl, resolveLink, type ResolvedLink } from './links-url.js';

/**
 * Link extraction for the brand checks: every place in a message body a reader could click
 * (or type from), reduced to the host a browser would contact. Pure functions: nothing is
 * fetched or resolved, shorteners stay opaque, redirectors are unwrapped by decoding only.
 *
 * Files: ../mime/html-reading.ts (navigable targets and visible text of HTML), links-text.ts and
 * links-bare.ts (finding URLs and bare domains in text), links-url.ts (URL → host),
 * links-redirectors.ts (Safe Links, Proofpoint, Google, …), links-lists.ts (shorteners,
 * file extensions).
 */

export interface Link {
  /** The URL as found (after un-defanging), e.g. "https://amazon-co-jp.xyz/signin". For
   * "www." and bare-domain forms it is the text as found ("amazon-co-jp.xyz/signin"); for
   * relative hrefs resolved against <base>, the resolved URL; after unwrapping a redirector,
   * the destination. */
  readonly url: string;
  /** Lower-case host as a browser would use it: IDN as Unicode (url.domainToUnicode), no
   * trailing dot; IP literals as written (decimal/hex/octal IPv4 forms normalised to a
   * dotted quad; IPv6 in brackets, "[2001:db8::1]"). */
  readonly host: string;
  /** Where it came from: an HTML navigable target (a/area href, form action, button/input
   * formaction, meta refresh), or text (text parts and HTML text outside anchors). */
  readonly source: 'href' | 'text';
  /** For HTML anchors (and <area>, its alt): the visible text of the link (img alt
   * included, whitespace collapsed, at most 500 chars; "" for an empty link). */
  readonly text?: string;
  /** A URL shortener or opaque link-protection token: its destination is hidden (never resolved). */
  readonly shortener?: boolean;
  /** When the link was a known redirector (see links-redirectors.ts): the redirector's
   * host; `url`/`host` are then the unwrapped destination. */
  readonly via?: string;
  readonly isIp?: boolean;
  /** Text only: the URL was written defanged ("hxxps://", "example[.]com"), as security
   * notices do; a reader cannot click it as written. */
  readonly defanged?: boolean;
}

export interface ExtractLimits {
  /** At most this many links in all (default 500). */
  readonly maxLinks?: number;
  /** Only the first this many characters of each part are read (default 1,000,000). */
  readonly maxChars?: number;
}

const DEFAULT_MAX_LINKS = 500;
const DEFAULT_MAX_CHARS = 1_000_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Collects links in order, deduplicating identical (url, source, text). */
class Collector {
  readonly links: Link[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.links.length >= this.max;
  }

  /** Adds `link`; returns false once no more links are wanted. */
  add(link: Link | null): boolean {
    if (this.full) return false;
    if (link !== null) {
      const key = `${link.url}\u0000${link.source}\u0000${link.text ?? '\u0001'}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.links.push(link);
      }
    }
    return !this.full;
  }
}

function toLink(
  r: ResolvedLink,
  source: Link['source'],
  extra: { readonly text?: string; readonly defanged?: boolean },
): Link {
  const link: Mutable<Link> = { url: r.url, host: r.host, source };
  if (extra.text !== undefined) link.text = extra.text;
  if (r.shortener) link.shortener = true;
  if (r.via !== undefined) link.via = r.via;
  if (r.isIp) link.isIp = true;
  if (extra.defanged === true) link.defanged = true;
  return link;
}

function parseCandidate(c: TextCandidate): { raw: string; url: URL } | null {
  const raw = c.raw.slice(0, MAX_URL_CHARS);
  const url = parseHttpUrl(c.needsScheme ? `http://${raw}` : raw);
  return url === null ? null : { raw, url };
}

function scanTextInto(text: string, out: Collector): void {
  scanText(prepareText(text), (c) => {
    const parsed = parseCandidate(c);
    const r = parsed === null ? null : resolveLink(parsed.raw, parsed.url);
    return out.add(r === null ? null : toLink(r, 'text', { defanged: c.defanged }));
  });
}

const OTHER_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** Stands in for the mail client's own origin when resolving "//host/path". */
const NETWORK_PATH_BASE = 'https://invalid.invalid/';

/** An href-like attribute value to a Link; null for mailto:, tel:, cid:, javascript:, "#…", relative without <base>. */
function fromHref(value: string, base: URL | null, text: string | undefined): Link | null {
  // Cut before parsing, as for text candidates: the host is near the start, and a 4 MB
  // href would otherwise be parsed (and percent-encoded) whole.
  const trimmed = trimC0(value).slice(0, MAX_URL_CHARS);
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  let raw = trimmed;
  let u = parseHttpUrl(trimmed);
  if (u === null) {
    if (OTHER_SCHEME.test(trimmed)) return null;
    // Relative. "//evil.example/x" goes to evil.example from any http(s) page, so resolve
    // it even without <base>; other relative links only have a host through <base>
    // (which phishers use to split a URL across attributes: "baseStriker").
    const networkPath = /^[/\\]{2}/.test(trimmed);
    const against = base ?? (networkPath ? NETWORK_PATH_BASE : null);
    if (against === null) return null;
    u = parseHttpUrl(trimmed, against);
    if (u === null) return null;
    raw = u.href;
  }
  const r = resolveLink(raw.slice(0, MAX_URL_CHARS), u);
  return r === null ? null : toLink(r, 'href', text === undefined ? {} : { text });
}

function scanHtmlInto(doc: HtmlReading, out: Collector): void {
  const base = doc.base === undefined ? null : parseHttpUrl(trimC0(doc.base).slice(0, MAX_URL_CHARS));
  for (const t of doc.targets) {
    if (!out.add(fromHref(t.value, base, t.text))) return;
  }
  // Text outside anchors: mail clients turn URLs written there into links.
  scanTextInto(doc.text, out);
}

/**
 * All links in a message's text and HTML parts, in order (per HTML part: navigable targets
 * first, then URLs in its text), deduplicated on (url, source, text), at most
 * `limits.maxLinks`. Each part is read up to `limits.maxChars` characters.
 */
export function extractLinks(
  parts: ReadonlyArray<{ kind: 'text' | 'html'; content: string }>,
  limits?: ExtractLimits,
): Link[] {
  const maxChars = limits?.maxChars ?? DEFAULT_MAX_CHARS;
  return linksOf(
    parts.map((part) => {
      const content = part.content.length > maxChars ? part.content.slice(0, maxChars) : part.content;
      return part.kind === 'html' ? { kind: 'html', reading: readHtml(content) } : { kind: 'text', content };
    }),
    limits,
  );
}

/** A body as the link extraction takes it: text, or HTML already read (readHtml). */
export type ReadPart = { readonly kind: 'text'; readonly content: string } | { readonly kind: 'html'; readonly reading: HtmlReading };

/**
 * extractLinks for parts whose HTML was read already, so that a caller that also wants the
 * HTML's text (MessageFacts) tokenizes each part once. Text parts are read up to
 * `limits.maxChars` characters; HTML readings as they are.
 */
export function linksOf(parts: readonly ReadPart[], limits?: ExtractLimits): Link[] {
  const maxChars = limits?.maxChars ?? DEFAULT_MAX_CHARS;
  const out = new Collector(limits?.maxLinks ?? DEFAULT_MAX_LINKS);
  for (const part of parts) {
    if (out.full) break;
    if (part.kind === 'html') scanHtmlInto(part.reading, out);
    else scanTextInto(part.content.length > maxChars ? part.content.slice(0, maxChars) : part.content, out);
  }
  return out.links;
}

/**
 * Domain-like strings a human reads in a link's visible text ("www.amazon.co.jp",
 * "https://apple.com/…", "ＡＭＡＺＯＮ．ＣＯ．ＪＰ"), normalised to lower-case hosts; empty when
 * the text shows no URL or domain. Redirectors are not unwrapped here: the reader sees the
 * redirector's host.
 */
export function visibleHosts(text: string): string[] {
  const hosts: string[] = [];
  const seen = new Set<string>();
  scanText(prepareText(text.slice(0, DEFAULT_MAX_CHARS)), (c) => {
    const parsed = parseCandidate(c);
    const info = parsed === null ? null : hostInfo(parsed.url);
    if (info !== null && !seen.has(info.host)) {
      seen.add(info.host);
      hosts.push(info.host);
    }
    return hosts.length < DEFAULT_MAX_LINKS;
  });
  return hosts;
}
