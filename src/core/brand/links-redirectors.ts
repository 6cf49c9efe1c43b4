/**
 * Known redirectors whose destination is written in the link itself. The brand logic must
 * judge where the click really goes, not the security gateway or search engine in front of
 * it, so these are unwrapped: purely by decoding the URL, never by fetching it.
 *
 * Each decoder gets the link as found (`raw`, needed where the WHATWG parser would move
 * part of the payload into the query, as with Proofpoint v3) and its parsed form, and
 * returns the destination as a string or null. The caller checks that the destination is
 * an absolute http(s) URL before it trusts it.
 */

/** Percent-decoding that never throws: a malformed escape is kept as it was. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // Decode each run of escapes on its own so one bad "%E3%81" does not spoil the rest.
    return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** The few entities that appear in rewritten URLs copied out of HTML. */
function unescapeBasicEntities(s: string): string {
  return s
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#0*39;/g, "'");
}

type Decoder = (raw: string, u: URL) => string | null;

/**
 * Microsoft Defender for Office 365 Safe Links:
 * https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.com%2F&data=…&sdata=…&reserved=0
 * (.office365.us for US government tenants).
 */
const safeLinks: Decoder = (_raw, u) => u.searchParams.get('url');

/**
 * Proofpoint URL Defense, as decoded by Proofpoint's own published URLDefenseDecode.py:
 * - v1: urldefense.proofpoint.com/v1/url?u=<percent-encoded>&k=…
 * - v2: urldefense.proofpoint.com/v2/url?u=<url with "%" written "-" and "/" written "_">&d=…&c=…
 * - v3: urldefense.com/v3/__<url>__;<base64url of the removed characters>!!<tenant>!<signature>$
 *   where each "*" in <url> stands for the next removed character and "**X" for a run of
 *   2 + index(X in A–Z a–z 0–9 - _) of them.
 */
const V3_RUN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const proofpoint: Decoder = (raw, u) => {
  const path = u.pathname;
  if (path.startsWith('/v1/url')) {
    const v = u.searchParams.get('u');
    return v === null ? null : unescapeBasicEntities(v);
  }
  if (path.startsWith('/v2/url')) {
    const v = u.searchParams.get('u');
    if (v === null) return null;
    return unescapeBasicEntities(safeDecode(v.replace(/-/g, '%').replace(/_/g, '/')));
  }
  if (path.startsWith('/v3/__')) return decodeProofpointV3(raw);
  return null;
};

function decodeProofpointV3(raw: string): string | null {
  const at = raw.indexOf('/v3/__');
  if (at < 0) return null;
  const rest = raw.slice(at + '/v3/__'.length);
  const end = rest.indexOf('__;');
  if (end < 0) return null;
  const encodedUrl = safeDecode(rest.slice(0, end));
  const tail = rest.slice(end + 3);
  const bang = tail.indexOf('!');
  const b64 = bang < 0 ? tail : tail.slice(0, bang);
  // The removed characters, one entry per code point (Python indexes its str that way).
  const removed = Array.from(Buffer.from(b64, 'base64url').toString('utf8'));
  let marker = 0;
  let out = '';
  for (let i = 0; i < encodedUrl.length; i++) {
    const ch = encodedUrl[i];
    if (ch !== '*') {
      out += ch;
      continue;
    }
    let take = 1;
    const runChar = encodedUrl[i + 2];
    if (encodedUrl[i + 1] === '*' && runChar !== undefined) {
      const idx = V3_RUN_ALPHABET.indexOf(runChar);
      if (idx < 0) return null;
      take = idx + 2;
      i += 2;
    }
    if (marker + take > removed.length) return null;
    out += removed.slice(marker, marker + take).join('');
    marker += take;
  }
  return out;
}

/**
 * Google: the click-through redirect (www.google.com/url?q=… in Gmail and Docs, ?url=… from
 * search results, on every country domain), and AMP viewer links
 * (www.google.com/amp/s/example.com/page = https://example.com/page), both used by phishers
 * to put google.com in front of their own site.
 */
const google: Decoder = (_raw, u) => {
  const path = u.pathname;
  if (path === '/url') return u.searchParams.get('q') ?? u.searchParams.get('url');
  if (path.startsWith('/amp/s/')) return `https://${path.slice('/amp/s/'.length)}${u.search}`;
  if (path.startsWith('/amp/')) return `http://${path.slice('/amp/'.length)}${u.search}`;
  return null;
};

/** Facebook's link shim l.facebook.com/l.php?u=…&h=… (also lm. and m.), Instagram's l.instagram.com/?u=…. */
const facebook: Decoder = (_raw, u) => (u.pathname === '/l.php' ? u.searchParams.get('u') : null);
const instagram: Decoder = (_raw, u) => (u.pathname === '/' ? u.searchParams.get('u') : null);

/** LinkedIn www.linkedin.com/redir/redirect?url=…; Slack slack-redir.net/link?url=…; YouTube www.youtube.com/redirect?q=…. */
const linkedin: Decoder = (_raw, u) =>
  u.pathname === '/redir/redirect' ? u.searchParams.get('url') : null;
const slack: Decoder = (_raw, u) => (u.pathname === '/link' ? u.searchParams.get('url') : null);
const youtube: Decoder = (_raw, u) => (u.pathname === '/redirect' ? u.searchParams.get('q') : null);

/**
 * Bing click tracking www.bing.com/ck/a?!&&p=…&u=a1<base64url of the URL>&ntb=1, abused in
 * phishing because the visible host is bing.com.
 */
const bing: Decoder = (_raw, u) => {
  if (u.pathname !== '/ck/a') return null;
  const v = u.searchParams.get('u');
  if (v === null || !v.startsWith('a1')) return null;
  return Buffer.from(v.slice(2), 'base64url').toString('utf8');
};

/**
 * Yahoo! (JAPAN and .com) search and news redirects carry the destination as a path
 * parameter: …/RV=2/RE=…/RO=10/RU=https%3a%2f%2fexample.com%2f/RK=2/RS=…. Older
 * rd.yahoo.co.jp links append it after "*-": …/*-http%3A//example.com/.
 */
const yahoo: Decoder = (raw) => {
  const ru = raw.indexOf('/RU=');
  if (ru >= 0) {
    const rest = raw.slice(ru + 4);
    let end = rest.length;
    for (const stop of ['/RK=', '/RS=']) {
      const i = rest.indexOf(stop);
      if (i >= 0 && i < end) end = i;
    }
    return safeDecode(rest.slice(0, end));
  }
  const star = raw.indexOf('*-http');
  return star >= 0 ? safeDecode(raw.slice(star + 2)) : null;
};

const GOOGLE_HOST = /^(?:www\.)?google\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$/;

function decoderFor(host: string): Decoder | null {
  if (
    host.endsWith('.safelinks.protection.outlook.com') ||
    host.endsWith('.safelinks.protection.office365.us')
  ) {
    return safeLinks;
  }
  if (host === 'urldefense.proofpoint.com' || host === 'urldefense.com') return proofpoint;
  if (GOOGLE_HOST.test(host)) return google;
  if (['l.facebook.com', 'lm.facebook.com', 'm.facebook.com', 'www.facebook.com'].includes(host)) {
    return facebook;
  }
  if (host === 'l.instagram.com') return instagram;
  if (host === 'www.linkedin.com' || host === 'linkedin.com') return linkedin;
  if (host === 'slack-redir.net') return slack;
  if (host === 'www.youtube.com' || host === 'youtube.com') return youtube;
  if (host === 'www.bing.com' || host === 'bing.com') return bing;
  if (
    host === 'yahoo.co.jp' ||
    host.endsWith('.yahoo.co.jp') ||
    host === 'yahoo.com' ||
    host.endsWith('.yahoo.com')
  ) {
    return yahoo;
  }
  return null;
}

/** The destination a known redirector encodes in `u`, or null when `u` is not one. */
export function redirectTarget(raw: string, u: URL): string | null {
  const decoder = decoderFor(u.hostname);
  if (decoder === null) return null;
  const dest = decoder(raw, u);
  return dest === null || dest.trim() === '' ? null : dest.trim();
}

/** For the documentation and the report: what is unwrapped. */
export const REDIRECTORS: readonly string[] = [
  'Microsoft Safe Links (*.safelinks.protection.outlook.com, *.safelinks.protection.office365.us) ?url=',
  'Proofpoint URL Defense v1/v2 (urldefense.proofpoint.com ?u=) and v3 (urldefense.com/v3/__…__;…!)',
  'Google (google.<tld>/url?q= or ?url=, /amp/s/…)',
  'Facebook (l.facebook.com, lm.facebook.com, m.facebook.com, www.facebook.com /l.php?u=), Instagram (l.instagram.com/?u=)',
  'LinkedIn (/redir/redirect?url=), Slack (slack-redir.net/link?url=), YouTube (/redirect?q=)',
  'Bing (www.bing.com/ck/a?…&u=a1<base64url>)',
  'Yahoo! JAPAN and Yahoo (…/RU=<url>/RK=…, older …*-<url>)',
];
