/**
 * What a blob is, by its bytes at offset 0, never by its name or declared type: renaming
 * invoice.xlsm to invoice.jpg, or sending a zip as text/plain, changes nothing here.
 * (Some OLE .xls/.ppt files embed an OOXML theme, so "contains PK" would be wrong: only
 * offset 0 counts.)
 */
export type ContentKind =
  | 'zip'
  | 'ole'
  | 'gzip'
  | 'rtf'
  | 'pdf'
  | 'sylk'
  | 'office-xml'
  | 'message'
  | 'rar'
  | '7z'
  | 'cab'
  | 'other';

const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Header fields that open real messages; a text that merely starts with "Note:" is not one. */
const MESSAGE_START = /^(?:received|return-path|from|to|subject|date|message-id|mime-version|delivered-to|x-[a-z0-9-]+|content-type|reply-to|sender|dkim-signature|authentication-results|arc-[a-z-]+):[ \t]/i;

export function sniff(bytes: Buffer): ContentKind {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    // Local file header, empty archive (end record first), or spanned-archive marker.
    const b2 = bytes[2];
    const b3 = bytes[3];
    if ((b2 === 3 && b3 === 4) || (b2 === 5 && b3 === 6) || (b2 === 7 && b3 === 8)) return 'zip';
  }
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(OLE_MAGIC)) return 'ole';
  if (bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) return 'gzip';
  const head = bytes.subarray(0, 4096).toString('latin1');
  if (head.startsWith('{\\rt')) return 'rtf';
  if (head.startsWith('%PDF-')) return 'pdf';
  if (head.startsWith('Rar!\x1a\x07')) return 'rar';
  if (head.startsWith('7z\xbc\xaf\x27\x1c')) return '7z';
  if (head.startsWith('MSCF\0\0\0\0')) return 'cab';
  // SYLK (Excel's symbolic link format) starts with an ID record; Excel 4.0 macros hide in it.
  if (/^ID;[A-Z]/.test(head)) return 'sylk';
  const text = head.replace(/^\ufeff|^\xef\xbb\xbf/, '').trimStart();
  if (text.startsWith('<?xml') || text.startsWith('<w:wordDocument') || text.startsWith('<pkg:package')) {
    if (/urn:schemas-microsoft-com:office:word|schemas\.microsoft\.com\/office\/2006\/xmlPackage|urn:schemas-microsoft-com:office:spreadsheet|progid="(?:Word|Excel|PowerPoint)\./i.test(head)) {
      return 'office-xml';
    }
  }
  if (MESSAGE_START.test(head) && /\r?\n\r?\n/.test(bytes.subarray(0, 64 * 1024).toString('latin1'))) return 'message';
  return 'other';
}

/** Names Emotet-style archives use for their payload: Office documents of any era. */
export const OFFICE_NAME = /\.(?:doc[mx]?|dot[mx]?|xls[mxb]?|xlt[mx]?|xla[m]?|ppt[mx]?|pot[mx]?|pps[mx]?|ppa[m]?|rtf|slk|one|xll|iqy)$/i;
