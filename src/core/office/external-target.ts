/**
 * Where an external target of an Office document (a remote template, a linked object, a
 * linked picture, an external workbook) makes Office go when it follows it. One classifier
 * for every reader (OOXML relationships, RTF \template), so that a target means the same
 * thing wherever it is written.
 *
 * - `local`: a path on the reader's own machine (`C:\Users\…\Template.dotx`,
 *   `file:///D:/…`, `../Book1.xlsx`, `/Users/…`, a Mac `Volume:Folder:File` path,
 *   `\\localhost\…`). Word writes these for every document made from a template on disk and
 *   every chart copied from a workbook: never a finding.
 * - `remote`: another host: `http(s)://`, `ftp://`, UNC `\\host\share` (Windows connects
 *   with the reader's NTLM credentials), `file://host/…` and `file:////host/…`, WebDAV
 *   (`\\host@SSL\…`, `\\host@8080\DavWWWRoot\…`), `\\?\UNC\host\…`. `intranet` when the host
 *   cannot be on the Internet (a single-label name, a private or link-local address, a
 *   suffix that is never delegated): a company's file server, not an attacker's.
 * - `handler`: the target is given to a program through a URL scheme (`ms-msdt:` of Follina,
 *   CVE-2022-30190; `search-ms:`; `ms-officecmd:`; `mhtml:` and `ms-its:` that MSHTML runs;
 *   an Office URI `ms-word:ofe|u|…`). Such a target runs a program: no ordinary document
 *   has one. A handler wrapping a remote URL (`mhtml:http://…!x-usc:…`) is remote through
 *   the handler, with `via` set.
 */
export type TargetReach =
  | { readonly reach: 'local'; readonly form: string }
  | { readonly reach: 'remote'; readonly form: string; readonly host: string; readonly intranet: boolean; readonly via?: string }
  | { readonly reach: 'handler'; readonly form: string; readonly scheme: string };

/** Schemes whose target is fetched from the host named in their authority. */
const FETCHING = new Set(['http', 'https', 'ftp', 'ftps', 'sftp', 'dav', 'davs', 'webdav', 'smb', 'cifs', 'nfs', 'ldap', 'ldaps', 'gopher', 'telnet', 'news', 'nntp', 'rtsp', 'mms']);

/** MHTML and compiled-help monikers: MSHTML loads (and runs) what follows the scheme. */
const WRAPPING = new Set(['mhtml', 'mk', 'ms-its', 'its', 'x-usc']);

/** Office URI schemes (learn.microsoft.com "Office URI Schemes"): `ms-word:ofe|u|https://…`. */
const OFFICE_URI = new Set(['ms-word', 'ms-excel', 'ms-powerpoint', 'ms-visio', 'ms-access', 'ms-project', 'ms-publisher', 'ms-spd', 'ms-infopath']);

/** Windows Search: `search-ms:query=…&crumb=location:\\host\share` lists a remote folder. */
const SEARCH = new Set(['search-ms', 'search']);

/** Schemes that run what follows them: never read as the first folder of a Mac path. */
const RUNNING = new Set(['javascript', 'vbscript', 'jscript', 'livescript', 'shell', 'res', 'jar', 'onenote', 'microsoft-edge', 'ms', 'hcp', 'help']);

/** Suffixes that are never delegated on the Internet (RFC 6762, RFC 8375, ICANN name-collision list). */
const PRIVATE_SUFFIX = /\.(?:local|localdomain|internal|intranet|home\.arpa|home|lan|corp|private)$/;

const SEPARATORS = /^[\\/]+/;

/** How far wrapped targets (mhtml:…!x-usc:…, file:file:…) are followed. */
const MAX_NESTING = 4;

export function classifyTarget(raw: string): TargetReach {
  return classify(normalize(raw), 0);
}

/**
 * The target as Office reads it: control characters dropped (URL parsers drop tab and
 * newline anywhere), surrounding blanks and quotes trimmed, percent-encoding undone (Word
 * writes `file:///C:\Program%20Files\…`, and `%5C%5Chost` is `\\host`).
 */
export function normalize(raw: string): string {
  let s = raw.replace(/[\u0000-\u001f\u007f]/g, '');
  s = s.replace(/^[\s"']+|[\s"']+$/g, '');
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(s); i++) s = percentDecode(s);
  return s;
}

function percentDecode(s: string): string {
  // Runs of %XX are bytes (UTF-8 as Office writes them, Latin-1 when they are not UTF-8).
  return s.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    const utf8 = bytes.toString('utf8');
    return utf8.includes('\ufffd') ? bytes.toString('latin1') : utf8;
  });
}

function classify(s: string, depth: number): TargetReach {
  if (/^[\\/]{2}/.test(s)) return unc(s);
  if (isMacPath(s)) return { reach: 'local', form: 'Mac path' };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s);
  if (!scheme) return { reach: 'local', form: /^[\\/]/.test(s) ? 'absolute path' : 'relative path' };
  const name = (scheme[1] as string).toLowerCase();
  const rest = s.slice(scheme[0].length);
  if (name.length === 1) return { reach: 'local', form: 'drive path' };
  if (depth >= MAX_NESTING) return { reach: 'handler', form: 'nested scheme', scheme: name };
  if (name === 'file') return fileUrl(rest, depth);
  if (FETCHING.has(name)) return authority(rest, name);
  if (WRAPPING.has(name)) return through(name, rest.replace(/^@MSITStore:/i, ''), depth);
  if (OFFICE_URI.has(name)) return through(name, rest.split('|').pop() ?? '', depth);
  if (SEARCH.has(name)) {
    const location = /(?:^|[&?])crumb=location:([^&]*)/i.exec(rest)?.[1] ?? /location:([^&]*)/i.exec(rest)?.[1];
    return location === undefined ? { reach: 'handler', form: name, scheme: name } : through(name, location, depth);
  }
  // scheme://host/… of any other scheme still names a host to connect to.
  if (/^[\\/]{2}/.test(rest)) return authority(rest, name);
  return { reach: 'handler', form: 'protocol handler', scheme: name };
}

/**
 * Office for Mac writes HFS paths, "Macintosh HD:Users:jkr:…:Template.dotx": colons between
 * folders and no slash anywhere. Read as a path only when it ends in a file name and its
 * first part is no scheme a handler is known for (ms-*, search-ms), so that a handler cannot
 * pass for a Mac path by adding colons.
 */
function isMacPath(s: string): boolean {
  if (/[\\/]/.test(s) || (s.match(/:/g) ?? []).length < 2 || !/\.[a-z0-9]{1,5}$/i.test(s)) return false;
  const first = (s.split(':')[0] ?? '').toLowerCase();
  return !first.startsWith('ms-') && ![FETCHING, WRAPPING, OFFICE_URI, SEARCH, RUNNING].some((set) => set.has(first)) && first !== 'file';
}

/** A handler around another target: remote through it when the inner target is remote. */
function through(scheme: string, inner: string, depth: number): TargetReach {
  // mhtml:http://host/x.html!x-usc:http://host/y: the part before "!" is what is fetched first.
  const target = classify(inner.split('!')[0] ?? '', depth + 1);
  if (target.reach === 'remote') return { ...target, via: target.via ?? scheme };
  return { reach: 'handler', form: scheme, scheme };
}

/** file: URLs: `file:///C:/…` is local, `file://host/…` and `file:////host/…` are not. */
function fileUrl(rest: string, depth: number): TargetReach {
  const slashes = SEPARATORS.exec(rest)?.[0].length ?? 0;
  const path = rest.slice(slashes);
  if (slashes === 0) return localOr(classify(path, depth + 1));
  if (slashes >= 4) return unc(`\\\\${path}`);
  if (slashes !== 2) return { reach: 'local', form: 'file URL' };
  const host = /^[^\\/]*/.exec(path)?.[0] ?? '';
  // file://C:/… and file://C|/… (legacy forms) name a drive, not a host.
  if (/^[a-z][:|]$/i.test(host)) return { reach: 'local', form: 'file URL' };
  const reached = hostReach(host, 'file URL with a host');
  if (reached.reach === 'local') return { reach: 'local', form: 'file URL' };
  return reached;
}

/** A file: URL whose path is itself a target: only a UNC path inside makes it remote. */
function localOr(inner: TargetReach): TargetReach {
  return inner.reach === 'remote' ? inner : { reach: 'local', form: 'file URL' };
}

function authority(rest: string, scheme: string): TargetReach {
  const auth = /^[^\\/?#]*/.exec(rest.replace(SEPARATORS, ''))?.[0] ?? '';
  const host = auth.replace(/^.*@/, '');
  const bare = host.startsWith('[') ? (/^\[[^\]]*\]/.exec(host)?.[0] ?? host) : host.replace(/:\d*$/, '');
  return hostReach(bare, scheme);
}

/** `\\host\share`, `\\host@SSL@443\DavWWWRoot\…`, `\\?\UNC\host\…`, `\\.\C:\…`. */
function unc(s: string): TargetReach {
  const parts = s.replace(SEPARATORS, '').split(/[\\/]+/);
  let host = parts[0] ?? '';
  let form = 'UNC';
  if (host === '?' || host === '.') {
    if ((parts[1] ?? '').toLowerCase() !== 'unc') return { reach: 'local', form: 'device path' };
    host = parts[2] ?? '';
  }
  // file:////C:\Users\… (Word writes it): four slashes, then a drive, not a host.
  if (/^[a-z][:|]$/i.test(host)) return { reach: 'local', form: 'drive path' };
  // WebDAV redirector names: host@SSL, host@port, host@SSL@port (Windows "WebClient").
  const dav = /^(.*?)((?:@ssl)?(?:@\d+)?)$/i.exec(host);
  if (dav && dav[2]) {
    host = dav[1] as string;
    form = 'WebDAV';
  } else if (parts.some((p) => p.toLowerCase() === 'davwwwroot')) {
    form = 'WebDAV';
  }
  return hostReach(host, form);
}

function hostReach(rawHost: string, form: string): TargetReach {
  let host = rawHost.toLowerCase().replace(/\.+$/, '');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // Windows writes IPv6 in UNC paths as "fe80--1s4.ipv6-literal.net".
  const literal = /^([0-9a-f-]+)(?:s[0-9a-z]+)?\.ipv6-literal\.net$/.exec(host);
  if (literal) host = (literal[1] as string).replace(/-/g, ':');
  if (isLoopback(host)) return { reach: 'local', form };
  return { reach: 'remote', form, host: host || '(no host)', intranet: host !== '' && isIntranet(host) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === 'localhost.localdomain' || host === '::1' || /^(?:0+:){7}0*1$/.test(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '0.0.0.0';
}

function isIntranet(host: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (v4) {
    const a = Number(v4[1]);
    const b = Number(v4[2]);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (host.includes(':')) return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  return !host.includes('.') || PRIVATE_SUFFIX.test(host);
}
