import type { Cfb } from './cfb.js';

/**
 * The attached template of a Word 97-2003 document (.doc): the string at ibstAssocDot (1)
 * of the SttbfAssoc table (MS-DOC 2.9.273), located by FibRgFcLcb97.fcSttbfAssoc in the
 * table stream. Word looks the template up when it opens the document (opening is slow
 * while a template's network path is unreachable, KB 830561), so a path on another host
 * leaks the reader's credentials as in OOXML. Undefined when there is none or it cannot be
 * read: a damaged FIB is not this check's business.
 */
export function wordAttachedTemplate(cfb: Cfb): string | undefined {
  const word = cfb.find('WordDocument');
  if (word?.type !== 'stream' || word.size < 0x22) return undefined;
  const fib = cfb.read(word);
  // FibBase.fEncrypted: the table stream is ciphertext.
  const flags = fib.readUInt16LE(0x0a);
  if (flags & 0x0100) return undefined;
  const table = cfb.find(flags & 0x0200 ? '1Table' : '0Table');
  if (table?.type !== 'stream') return undefined;
  const location = sttbfAssocLocation(fib);
  if (!location) return undefined;
  const stream = cfb.read(table);
  if (location.fc + location.lcb > stream.length) return undefined;
  return sttbString(stream.subarray(location.fc, location.fc + location.lcb), IBST_ASSOC_DOT);
}

const IBST_ASSOC_DOT = 1;
/** fcSttbfAssoc is the 33rd fc/lcb pair of FibRgFcLcb97 (after fcWss and fcDop). */
const STTBF_ASSOC_PAIR = 32;

function sttbfAssocLocation(fib: Buffer): { fc: number; lcb: number } | undefined {
  // FibBase (32 bytes), csw + fibRgW, cslw + fibRgLw, cbRgFcLcb + fibRgFcLcbBlob (MS-DOC 2.5.1).
  let at = 32;
  if (at + 2 > fib.length) return undefined;
  at += 2 + fib.readUInt16LE(at) * 2;
  if (at + 2 > fib.length) return undefined;
  at += 2 + fib.readUInt16LE(at) * 4;
  if (at + 2 > fib.length) return undefined;
  const pairs = fib.readUInt16LE(at);
  at += 2;
  if (pairs <= STTBF_ASSOC_PAIR || at + (STTBF_ASSOC_PAIR + 1) * 8 > fib.length) return undefined;
  const fc = fib.readUInt32LE(at + STTBF_ASSOC_PAIR * 8);
  const lcb = fib.readUInt32LE(at + STTBF_ASSOC_PAIR * 8 + 4);
  return lcb === 0 ? undefined : { fc, lcb };
}

/** The string at `index` of an STTB (MS-DOC 2.2.4): UTF-16 with fExtend 0xFFFF, else one byte a character. */
function sttbString(sttb: Buffer, index: number): string | undefined {
  if (sttb.length < 6) return undefined;
  const extended = sttb.readUInt16LE(0) === 0xffff;
  let at = extended ? 2 : 0;
  const count = sttb.readUInt16LE(at);
  at += 2;
  const extra = sttb.readUInt16LE(at);
  at += 2;
  if (index >= count) return undefined;
  for (let i = 0; i <= index; i++) {
    let text: string;
    if (extended) {
      if (at + 2 > sttb.length) return undefined;
      const cch = sttb.readUInt16LE(at);
      at += 2;
      if (at + cch * 2 > sttb.length) return undefined;
      text = sttb.toString('utf16le', at, at + cch * 2);
      at += cch * 2;
    } else {
      if (at + 1 > sttb.length) return undefined;
      const cch = sttb.readUInt8(at);
      at += 1;
      if (at + cch > sttb.length) return undefined;
      text = sttb.toString('latin1', at, at + cch);
      at += cch;
    }
    at += extra;
    if (i === index) return text === '' ? undefined : text;
  }
  return undefined;
}
