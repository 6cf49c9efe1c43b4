// Hostile messages for the linear-time checks (issue 9 item 4): each family is one complete
// RFC 5322 message of about `sizeBytes`, built to hit a place where a backtracking regex or
// a rescanning loop would go quadratic on sender-controlled text. Plain ESM so that the
// benchmark (bench/adversarial-bench.mjs) and the tests (test/helpers/adversarial.ts) use
// this one generator. Deterministic: the seed is fixed, so a slow family reproduces.

/** mulberry32, as test/helpers/prng.ts (the soak draws from it too). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `unit` repeated to about `bytes` bytes of UTF-8. */
function fill(unit, bytes) {
  return unit.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(unit, 'utf8'))));
}

/** Units from `make(i)` appended until about `bytes` bytes. */
function fillWith(make, bytes) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = make(i);
    parts.push(s);
    size += Buffer.byteLength(s, 'utf8');
  }
  return parts.join('');
}

const BASE_HEADERS = [
  'From: "Support" <support@sender.example>',
  'To: user@example.net',
  'Date: Sun, 22 Nov 2026 10:00:00 +0900',
  'Message-ID: <adversarial@sender.example>',
  'MIME-Version: 1.0',
];

function message({ headers = [], subject = 'Notice', type = 'text/plain; charset=utf-8', encoding = '8bit', body }) {
  const head = [...BASE_HEADERS, `Subject: ${subject}`, ...headers, `Content-Type: ${type}`, `Content-Transfer-Encoding: ${encoding}`];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
}

const html = (body) => ({ type: 'text/html; charset=utf-8', body });
/**
 * A link whose text shows amazon.co.jp and whose target is elsewhere, put before some of
 * the hostile HTML: the detector must still see it (brand/link-text-mismatch).
 */
const PHISH = '<p>Amazon</p><a href="https://amaz0n-login.example/">https://www.amazon.co.jp/</a>\n';
const phishHtml = (body) => html(PHISH + body);
const text = (body) => ({ type: 'text/plain; charset=utf-8', body });

/**
 * A zip with one ZipCrypto-flagged stored member of junk: enough for the walker to ask the
 * message for its stated passwords (the PPAP reading runs only when something is encrypted).
 */
function encryptedZip() {
  const name = Buffer.from('invoice.doc');
  const data = Buffer.alloc(32, 0x5a);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(1, 6); // encrypted
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length - 12, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(1, 8);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length - 12, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]).toString('latin1');
}

/** A multipart/mixed message with a text part (or `bodyPart`) and one attachment. */
function withAttachment(name, contentType, content, bodyPart = { type: 'text/plain; charset=utf-8', body: 'See the attachment.' }) {
  const boundary = 'adv-boundary-0001';
  const b64 = Buffer.from(content, 'latin1').toString('base64').replace(/.{76}/g, '$&\r\n');
  const body = [
    `--${boundary}`,
    `Content-Type: ${bodyPart.type}`,
    '',
    bodyPart.body,
    `--${boundary}`,
    `Content-Type: ${contentType}; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    b64,
    `--${boundary}--`,
  ].join('\r\n');
  return message({ type: `multipart/mixed; boundary="${boundary}"`, body });
}

/**
 * The families, by name: (size in bytes, PRNG) → message. Each comment names what it
 * attacks; see docs in the functions for what was found superlinear.
 */
const FAMILIES = {
  // `/<[^>]*>/g`: every "<" scans to the end of the text for a ">" that never comes.
  'html-unclosed-tags': (n) => message(phishHtml(fill('<span style="color:red" ', n))),
  'html-lt-run': (n) => message(phishHtml(fill('<', n))),
  'html-a-href-run': (n) => message(phishHtml(fill('<a href=', n))),
  // `<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>`: each opener scans lazily to the end.
  'html-unclosed-script': (n) => message(html(fill('<script>var a="<b>";', n))),
  'html-unclosed-style': (n) => message(html(fill('<style>p{color:red}</styl', n))),
  'html-unclosed-comment': (n) => message(html(fill('<!-- <a href="https://x.example/"> -- >', n))),
  'html-huge-attribute': (n) => message(html(`<p>Hello</p><a href="https://example.com/${fill('a', Math.min(n / 2, 256 * 1024))}">https://www.amazon.co.jp/</a><img alt="${fill('x ', n - Math.min(n / 2, 256 * 1024))}`)),
  'html-links': (n, r) =>
    message(html(fillWith((i) => `<a href="https://h${i}.example${Math.floor(r() * 1000)}.com/p?i=${i}">link ${i}</a>\n`, n))),
  'html-nested': (n) => message(phishHtml(`${fill('<div><b>', n / 2)}deep${fill('</b></div>', n / 2)}`)),
  'html-entities': (n) => message(phishHtml(`${fill('&amp;&#x41;&#', n / 2)}${fill('&', n / 2)}`)),
  'html-meta-refresh': (n) => message(html(`<meta http-equiv="refresh" content="0; url=${fill(' ', n)}x">`)),
  'text-url-long': (n) => message(text(`Visit https://example.com/${fill('a', n)} now`)),
  'text-http-run': (n) => message(text(fill('http://', n))),
  'text-www-run': (n) => message(text(fill('www.', n))),
  'text-dotted-run': (n) => message(text(fill('a.', n))),
  // scanUrl's "TLD with prose glued on" check rescanned the label at each non-ASCII letter.
  'text-idn-label': (n) => message(text(`http://x.${fill('a', n / 2)}1${fill('アb', n / 2)}`)),
  'text-defanged-domains': (n, r) => message(text(fillWith((i) => `example${Math.floor(r() * 100000)}[.]com hxxps://e${i}[.]jp/x `, n))),
  'text-whitespace-run': (n) => message(text(`a${fill(' \t', n)}b`)),
  'text-brand-mentions': (n) => message(text(fill('Amazon アマゾン 本人確認 verify your account ', n))),
  // password-candidates: "パスワード" keywords back to back, and a closer run stripped one by one.
  'text-password-phrasing': (n) =>
    withAttachment('a.zip', 'application/zip', encryptedZip(), text(`${fill('パスワード：パスワード password for the file ', n / 2)}\n${fill('PW: ', n / 4)}`)),
  'text-password-closers': (n) => withAttachment('a.zip', 'application/zip', encryptedZip(), text(`パスワードは以下の通りです\n\na${fill(')', n)}`)),
  'html-password-table': (n) =>
    withAttachment('a.zip', 'application/zip', encryptedZip(), html(fill('<tr><td>パスワード</td><td>Kz8#pQ</td></tr><tr><td>password for <b>x</b> is', n))),
  'base64-junk': (n) =>
    message({ ...html(fill('PGE+!!**<< PGEgaHJlZj0=\r\n', n)), encoding: 'base64' }),
  'qp-soft-breaks': (n) => message({ ...html(fill('=\r\n=3C=', n)), encoding: 'quoted-printable' }),
  'header-fields': (n) => message({ headers: Array.from({ length: Math.floor(n / 16) }, (_, i) => `X-F${i}: v${i}`), body: 'hi' }),
  'header-from-many': (n) =>
    message({ headers: Array.from({ length: Math.floor(n / 40) }, (_, i) => `From: "Amazon ${i}" <a${i}@amaz0n${i % 50}.example>`), body: 'hi' }),
  // mailbox.ts: /[>\s]+$/ on an address's domain and the unanchored local-part run of
  // addressesInName were quadratic within each 8 KB From value; a header holds a hundred.
  'header-from-runs': (n) =>
    message({
      headers: Array.from({ length: Math.max(1, Math.floor(Math.min(n, 768 * 1024) / 16500)) }, () => [
        `From: "${fill('a', 8000)}" <a@sender.example>`,
        `From: a@b.example${fill('> ', 4000)}x`,
      ]).flat(),
      body: 'hi',
    }),
  'subject-encoded-words': (n) => {
    const word = `=?UTF-8?B?${Buffer.from('アマゾン本人確認 ').toString('base64')}?=`;
    return message({ subject: fill(`${word}\r\n `, n).trimEnd(), body: 'hi' });
  },
  'subject-whitespace-run': (n) => message({ subject: `a${fill(' ', Math.min(n, 900 * 1024))}b`, body: 'hi' }),
  'mime-many-parts': (n) => {
    const boundary = 'p';
    const parts = fill(`--${boundary}\r\nContent-Type: text/plain\r\n\r\nx\r\n`, n);
    return message({ type: `multipart/mixed; boundary="${boundary}"`, body: `${parts}--${boundary}--` });
  },
  // office-xml.ts: `<w:binData\b[^>]*w:name…` and `<pkg:part\b[^>]*>` rescanned per opener.
  'office-xml-tag-run': (n) =>
    withAttachment('doc.xml', 'application/xml', `<?xml version="1.0"?>\n<w:wordDocument xmlns:w="urn:schemas-microsoft-com:office:word">${fill('<w:binData w:name=x ', (n * 3) / 4)}`),
  'flat-opc-tag-run': (n) =>
    withAttachment('doc.xml', 'application/xml', `<?xml version="1.0"?>\n<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage">${fill('<pkg:part pkg:name=x ', (n * 3) / 4)}`),
  // sylk.ts: `([A-Z][A-Z0-9.]*)\s*\(` rescanned a letter run from each of its positions.
  'sylk-formula-run': (n) => withAttachment('a.slk', 'application/vnd.ms-excel', `ID;P\r\nC;X1;Y1;E${fill('A', (n * 3) / 4)}\r\nE\r\n`),
};

/** The family names, in a stable order. */
export const FAMILY_NAMES = Object.keys(FAMILIES);

/**
 * One message per family, each about `sizeBytes` (header families are capped by their own
 * nature: a 1 MB header block is mailsplit's limit, and going past it is a finding too).
 */
export function adversarialFamilies(sizeBytes) {
  return FAMILY_NAMES.map((family, i) => ({ family, message: FAMILIES[family](sizeBytes, prng(0x5eed + i)) }));
}

/** One family's message, for reproducing one case. */
export function adversarialFamily(family, sizeBytes) {
  const make = FAMILIES[family];
  if (make === undefined) throw new Error(`unknown family ${family}`);
  return make(sizeBytes, prng(0x5eed + FAMILY_NAMES.indexOf(family)));
}
