/**
 * The small, hand-maintained lists that link extraction depends on. Kept in one place so
 * that adding a shortener or a file extension is a one-line change with no logic to read.
 */

/**
 * URL shorteners: hosts whose links hide their destination behind a redirect that only the
 * service knows. We never resolve them (no network, ever); a link is only flagged so the
 * brand logic can weigh "you cannot see where this goes".
 *
 * Some are a brand's own official shortener (amzn.to, amzn.asia, a.co for Amazon; apple.co;
 * youtu.be; lin.ee for LINE; r10.to for Rakuten; aka.ms and 1drv.ms for Microsoft;
 * forms.gle for Google). They are still flagged: whether a brand's own shortener is fine in
 * that brand's mail is the brand logic's call, and phishers abuse 1drv.ms and forms.gle.
 *
 * Hosts are lower-case ASCII; "www." in front of any of them also matches.
 */
export const SHORTENER_HOSTS: ReadonlySet<string> = new Set([
  // General-purpose services.
  'bit.ly', 'bitly.com', 'j.mp', 'bit.do', 't.co', 'tinyurl.com', 'tiny.one', 'goo.gl',
  'ow.ly', 'is.gd', 'v.gd', 'buff.ly', 'rebrand.ly', 'cutt.ly', 'cutt.us', 't.ly', 'x.gd',
  'shorturl.at', 'rb.gy', 'tiny.cc', 's.id', 'bl.ink', 'soo.gd', 'gg.gg', 'u.to', 'clck.ru',
  'qr.net', 'urlz.fr', 'shorte.st', 'adf.ly', 'surl.li', 'dub.sh', 'ift.tt', 'qrco.de',
  'goo.su', 'lnkd.in', 'fb.me', 'wp.me', 'db.tt', 'spoti.fi',
  // Seen in Japanese SMS/mail phishing (Taiwanese and Japanese services).
  '0rz.tw', 'reurl.cc', 'ppt.cc', 'lihi.cc', 'pse.is', 't.cn', 'ux.nu',
  // Brands' own shorteners (see above).
  'amzn.to', 'amzn.asia', 'a.co', 'apple.co', 'youtu.be', 'lin.ee', 'r10.to', 'aka.ms',
  '1drv.ms', 'forms.gle',
]);

/**
 * Link-protection services that rewrite a link into an opaque token (the destination is not
 * in the URL), so they are reported like shorteners. Mimecast URL Protect:
 * https://url.<region>.m.mimecastprotect.com/s/<token>?domain=<host> (newer) and
 * https://protect-<region>.mimecast.com/s/<token>?domain=<host> (older). The `domain`
 * parameter is only a hint written by the rewriter, so it is not treated as a destination.
 */
export const OPAQUE_REWRITER_SUFFIXES: readonly string[] = ['.mimecastprotect.com'];
export const OPAQUE_REWRITER_PATTERN = /^protect-[a-z0-9-]+\.mimecast\.com$/;

/**
 * File extensions that a bare word like "invoice.pdf" or "請求書.xlsx" ends with. A bare
 * string (no scheme, no "www.") whose last label is one of these is a file name, not a
 * domain, even when the extension is also a real TLD (.zip, .mov, .py, .sh, .md, .ai,
 * .one, .cab, .so, .ps): those are only taken as domains in URL form ("https://x.zip/").
 * Extensions that are not TLDs (pdf, xlsx, …) would fail the public-suffix check anyway;
 * they are listed so the list reads as what it is. Deliberately absent although they are
 * also extensions: com (every .com domain), cc, pl, rs, app, ms — real mail and real
 * phishing use those TLDs far more often than it names such files.
 */
export const FILE_EXTENSIONS: ReadonlySet<string> = new Set([
  // Documents.
  'pdf', 'doc', 'docx', 'docm', 'dot', 'dotx', 'xls', 'xlsx', 'xlsm', 'xlsb', 'xlt', 'csv',
  'tsv', 'ppt', 'pptx', 'pptm', 'pps', 'ppsx', 'txt', 'rtf', 'odt', 'ods', 'odp', 'xps',
  'oxps', 'epub', 'pages', 'numbers', 'key', 'one', 'md', 'eml', 'msg', 'ics', 'vcf', 'pst',
  // Archives and disk images.
  'zip', 'lzh', 'lha', 'rar', '7z', 'gz', 'tgz', 'tar', 'bz2', 'xz', 'cab', 'iso', 'img',
  'dmg',
  // Programs and scripts.
  'exe', 'msi', 'bat', 'cmd', 'scr', 'pif', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'hta',
  'lnk', 'ps1', 'jar', 'apk', 'py', 'sh', 'rb', 'php', 'asp', 'aspx', 'jsp', 'so', 'dll',
  // Web and data.
  'html', 'htm', 'xml', 'json', 'yml', 'yaml', 'log', 'ini', 'cfg', 'conf', 'dat', 'bin',
  // Images, design, audio, video.
  'jpg', 'jpeg', 'png', 'gif', 'bmp', 'tif', 'tiff', 'svg', 'webp', 'heic', 'ico', 'psd',
  'ai', 'eps', 'ps', 'mp3', 'mp4', 'm4a', 'm4v', 'mov', 'avi', 'wmv', 'wav', 'flac', 'mkv',
  'webm',
]);
