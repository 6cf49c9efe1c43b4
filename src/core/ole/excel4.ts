import type { Cfb } from './cfb.js';
import type { PasswordTrial } from './password-trial.js';
import { type BiffDecryptor, openFilePass } from './xls-rc4.js';

/** An Excel 4.0 (XLM) macro sheet of a BIFF workbook. */
export interface MacroSheetReport {
  name: string;
  visibility: 'visible' | 'hidden' | 'very hidden';
}

export interface BiffReport {
  /** Sheets whose BOUNDSHEET dt is 1 (MS-XLS 2.4.28: macro sheet). */
  readonly macroSheets: MacroSheetReport[];
  /** A FILEPASS record (0x002F): the workbook is XOR- or RC4-encrypted (MS-XLS 2.4.117). */
  readonly filePass: boolean;
  /** The password that decrypted the sheet list of an encrypted workbook. */
  readonly password: string | undefined;
  /** Encrypted with a password none of ours opened: the sheet list, macro sheets included, is unknown. */
  readonly sheetsUnreadable: boolean;
}

const BOF = 0x0809;
const FILEPASS = 0x002f;
const BOUNDSHEET = 0x0085;
const EOF_RECORD = 0x000a;
const VISIBILITY: readonly MacroSheetReport['visibility'][] = ['visible', 'hidden', 'very hidden', 'very hidden'];

/**
 * Scans the workbook globals of a BIFF5 (`Book`) or BIFF8 (`Workbook`) stream record by record.
 * Undefined when the file has no such stream. Records are read only within the stream, so a
 * forged length ends the scan instead of reading past it.
 *
 * After FILEPASS, record headers stay clear but BOUNDSHEET is encrypted except its first four
 * bytes (MS-XLS 2.2.10), so hidden state, sheet type and name need the password. Macro sheets
 * hidden behind Excel's default "VelvetSweatshop" are a known way past scanners.
 */
export function scanBiff(cfb: Cfb, trial: PasswordTrial): BiffReport | undefined {
  const node = cfb.find('Workbook') ?? cfb.find('Book');
  if (node?.type !== 'stream') return undefined;
  const stream = cfb.read(node);
  // The BOF record's version says how strings are stored; the stream name is the fallback.
  let biff8 = node.name.toLowerCase() === 'workbook';
  const macroSheets: MacroSheetReport[] = [];
  let filePass = false;
  let decryptor: BiffDecryptor | undefined;
  let pos = 0;
  while (pos + 4 <= stream.length) {
    const type = stream.readUInt16LE(pos);
    const length = stream.readUInt16LE(pos + 2);
    const dataAt = pos + 4;
    const data = stream.subarray(dataAt, Math.min(stream.length, dataAt + length));
    pos = dataAt + length;
    if (type === BOF && dataAt === 4 && data.length >= 2) biff8 = data.readUInt16LE(0) === 0x0600;
    else if (type === FILEPASS && !filePass) {
      filePass = true;
      decryptor = openFilePass(data, trial);
      if (decryptor === undefined) break;
    } else if (type === BOUNDSHEET && data.length >= 6) {
      const clear = decryptor === undefined ? data : Buffer.concat([data.subarray(0, 4), decryptor.decrypt(data.subarray(4), dataAt + 4)]);
      if (clear[5] === 1) macroSheets.push({ name: sheetName(clear.subarray(6), biff8), visibility: VISIBILITY[(clear[4] ?? 0) & 0x03] ?? 'visible' });
    } else if (type === EOF_RECORD) break; // end of the globals substream: sheets follow
  }
  return { macroSheets, filePass, password: decryptor?.password, sheetsUnreadable: filePass && decryptor === undefined };
}

/** BIFF8: ShortXLUnicodeString (cch, fHighByte, chars); BIFF5: cch then 8-bit chars. */
function sheetName(data: Buffer, biff8: boolean): string {
  const count = data[0] ?? 0;
  if (!biff8) return data.toString('latin1', 1, 1 + count);
  const wide = ((data[1] ?? 0) & 0x01) === 1;
  return wide ? data.toString('utf16le', 2, 2 + count * 2) : data.toString('latin1', 2, 2 + count);
}
