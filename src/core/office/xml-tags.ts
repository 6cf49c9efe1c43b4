/**
 * Start tags of one name in XML text, found in linear time. The regexes this replaces,
 * `/<pkg:part\b[^>]*>/gi` and the like, scan from every opener to the next ">"; with no ">"
 * after them, each opener scans to the end of the text and fails, so 256 KB of "<pkg:part "
 * took 5 s (a few megabytes, minutes). Here the ">" that ends a tag is looked for once per
 * tag, and once none is left no later tag can end either.
 *
 * `unterminated`: also yield the rest of the text after the last opener that has no ">",
 * for callers whose pattern did not need the ">" (`<w:binData\b[^>]*w:name…`).
 */
export function* startTags(text: string, name: string, unterminated = false): Generator<string> {
  // A fixed name with a lookahead: linear, and case-insensitive without lower-casing the
  // text (which can change its length outside Latin-1, "İ" → "i̇").
  const opener = new RegExp(`<${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'gi');
  for (let m = opener.exec(text); m !== null; m = opener.exec(text)) {
    const end = text.indexOf('>', opener.lastIndex);
    if (end < 0) {
      if (unterminated) yield text.slice(m.index);
      return;
    }
    yield text.slice(m.index, end + 1);
    opener.lastIndex = end + 1;
  }
}

/**
 * An attribute's value in one start tag, its entities undone: the five named ones and
 * numeric references, so that `&#92;&#92;host` is read as the `\\host` Office reads.
 */
export function xmlAttr(tag: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[\\s<])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined;
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(value: string): string {
  return value.replace(/&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-f]{1,6}));/gi, (whole, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (named) return NAMED[named.toLowerCase()] ?? whole;
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
