import { Unscannable } from '../limits.js';
import { type Cfb, parseCfb } from './cfb.js';
import { corrupt } from './cfb-sectors.js';
import { type MacroSheetReport, scanBiff } from './excel4.js';
import { detectEncryption, type OleEncryptionReport } from './office-encryption.js';
import { embeddedStorages, isEncryptedPpt } from './ppt.js';
import { analyzeVbaProject, findVbaStorages, type VbaProjectReport } from './vba.js';
import { wordAttachedTemplate } from './word-template.js';

export type { MacroSheetReport } from './excel4.js';
export type { OleEncryptionKind, OleEncryptionReport } from './office-encryption.js';
export type { VbaProjectReport } from './vba.js';

export interface OleReport {
  vba: VbaProjectReport[];
  macroSheets: MacroSheetReport[];
  /** An encrypted workbook whose sheet list no password opened: macro sheets are unknown, not absent. */
  macroSheetsUnknown: boolean;
  encryption?: OleEncryptionReport;
  /** A Word 97-2003 document's attached template, as written (judged by the caller). */
  attachedTemplate?: string;
  streamCount: number;
}

export interface OleAnalysisOptions {
  /** Passwords to try on encrypted documents ("VelvetSweatshop" is always tried first). */
  passwords: readonly string[];
  maxPasswordTries: number;
  /** Throws when the caller's time budget is spent. */
  checkTime?: () => void;
  /** Counts bytes decompressed or decrypted, before they are produced; throws past the budget. */
  charge?: (bytes: number) => void;
}

/**
 * Facts about one compound file (OLE2): its VBA projects, Excel 4.0 macro sheets and Office
 * encryption. Pure and synchronous. Throws Unscannable('corrupt-ole') for malformed files, and
 * whatever `checkTime`/`charge` throw when the caller's limits are reached.
 */
export function analyzeOle(bytes: Buffer, options: OleAnalysisOptions): OleReport {
  try {
    const cfb = parseCfb(bytes);
    const trial = { passwords: options.passwords, maxTries: options.maxPasswordTries, checkTime: options.checkTime };
    const vba = [...findVbaStorages(cfb).map((s) => analyzeVbaProject(cfb, s, options.charge)), ...powerPointVba(cfb, options.charge)];
    const biff = scanBiff(cfb, trial);
    const encryption = detectEncryption(cfb, biff, { ...trial, charge: options.charge });
    const attachedTemplate = readOptional(() => wordAttachedTemplate(cfb));
    return {
      vba,
      macroSheets: biff?.macroSheets ?? [],
      macroSheetsUnknown: biff?.sheetsUnreadable ?? false,
      ...(encryption === undefined ? {} : { encryption }),
      ...(attachedTemplate === undefined ? {} : { attachedTemplate }),
      streamCount: cfb.nodes.filter((n) => n.type === 'stream').length,
    };
  } catch (error) {
    if (error instanceof Unscannable) throw error;
    // A parser bug or an unforeseen malformation (a RangeError on a forged offset, a cipher
    // error) must still end as an unscannable part, never as a crash or a silent pass.
    throw corrupt(`unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

/** A fact that only adds evidence: a damaged structure behind it leaves the rest of the analysis standing. */
function readOptional<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof Unscannable && error.reason === 'corrupt-ole') return undefined;
    throw error;
  }
}

/**
 * PowerPoint 97-2003 stores its VBA project as a compound file embedded in a record of the
 * `PowerPoint Document` stream (see ppt.ts); it is analysed one level deep, no further.
 */
function powerPointVba(cfb: Cfb, charge?: (bytes: number) => void): VbaProjectReport[] {
  const stream = cfb.find('PowerPoint Document');
  if (stream?.type !== 'stream' || isEncryptedPpt(cfb)) return [];
  const out: VbaProjectReport[] = [];
  for (const embedded of embeddedStorages(cfb.read(stream), charge)) {
    const prefix = `${stream.path}/ExOleObjStg@0x${embedded.offset.toString(16)}/`;
    let inner: Cfb;
    try {
      inner = parseCfb(embedded.bytes);
    } catch (error) {
      if (error instanceof Unscannable) throw corrupt(`${JSON.stringify(prefix)}: ${error.detail}`);
      throw error;
    }
    for (const storage of findVbaStorages(inner)) out.push(analyzeVbaProject(inner, storage, charge, prefix));
  }
  return out;
}
