import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import yauzl from 'yauzl';
import { inspect } from '../../src/core/inspect.js';
import type { Finding, VerdictName } from '../../src/core/verdict.js';
import { decide } from '../../src/policy/decide.js';
import { filesUnder } from './clean-measure.js';
import { mailOf } from './wrappings.js';

/**
 * Clean Office documents through the inspection core, as `npm run measure:office` and the
 * office-clean fixture test do it: each document attached to an ordinary mail, the whole
 * mail inspected with the default limits, the verdict read back.
 */

const ENVELOPE = { mailFrom: 'colleague@example.com', rcptTo: ['user@example.net'] };

/** The file types the measurement counts (templates are counted with their document type). */
export const OFFICE_TYPES: Readonly<Record<string, string>> = {
  docx: 'docx', dotx: 'docx', xlsx: 'xlsx', xltx: 'xlsx', pptx: 'pptx', potx: 'pptx',
  doc: 'doc', dot: 'doc', xls: 'xls', xlt: 'xls', ppt: 'ppt', pot: 'ppt', rtf: 'rtf',
};

export function officeType(path: string): string | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? undefined : OFFICE_TYPES[ext];
}

/** Office files under a directory, by extension. */
export function officeFiles(dir: string): string[] {
  return filesUnder(dir, (name) => officeType(name) !== undefined);
}

export interface DocumentResult {
  readonly verdict: VerdictName;
  /** What the default policy does with the mail: anything but "pass" is a false flag on a clean document. */
  readonly action: string;
  /** Findings that make the document suspicious or worse, or unscannable: false positives on a clean document. */
  readonly flagged: readonly Finding[];
  readonly findings: readonly Finding[];
}

/** One document, attached under its own name to an ordinary mail. */
export async function inspectDocument(bytes: Buffer, name: string): Promise<DocumentResult> {
  const mail = mailOf({ body: '資料をお送りします。よろしくお願いいたします。', attachments: [{ name, bytes }] });
  const verdict = await inspect(ENVELOPE, mail);
  const flagged = verdict.findings.filter((f) => f.detector === 'limits' || f.severity === 'medium' || f.severity === 'high');
  const action = decide(verdict, { mailFrom: ENVELOPE.mailFrom, headerFrom: [], recipients: ENVELOPE.rcptTo }).action.kind;
  return { verdict: verdict.verdict, action, flagged, findings: verdict.findings };
}

/** One row of a corpus' labels.tsv (bench/office-corpus/label.py: independent of sekisho's parsers). */
export interface CorpusLabel {
  readonly path: string;
  readonly container: string;
  /** clean | macro | encrypted | unopenable | not-office */
  readonly label: string;
  readonly detail: string;
}

export function readLabels(file: string): CorpusLabel[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [path = '', container = '', label = '', detail = ''] = line.split('\t');
      return { path, container, label, detail };
    });
}

/** The source a corpus file came from: its first directory under the corpus root (the Debian source package). */
export function sourceOf(root: string, path: string): string {
  return relative(root, path).split('/')[0] ?? basename(path);
}

export interface MemberSize {
  readonly name: string;
  readonly compressed: number;
  readonly uncompressed: number;
}

/** The members of a zip (an OOXML package) as its central directory declares them. */
export async function zipMemberSizes(bytes: Buffer): Promise<MemberSize[]> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, decodeStrings: true, strictFileNames: false, validateEntrySizes: false });
  const out: MemberSize[] = [];
  try {
    for await (const entry of zip.eachEntry()) out.push({ name: entry.fileName, compressed: entry.compressedSize, uncompressed: entry.uncompressedSize });
  } finally {
    zip.close();
  }
  return out;
}
