import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { encryptedDocumentFinding, openedDocumentFinding } from '../detectors/archive-findings.js';
import { limitFinding } from '../detectors/limit-findings.js';
import { rtfFindings, templateFindings } from '../detectors/external-load-findings.js';
import { macroSheetFindings, officeXmlFindings, sylkFindings, vbaFindings } from '../detectors/macro-findings.js';
import { stopsInspection, Unscannable } from '../limits.js';
import { messagePasswords } from '../mime/message-text.js';
import { walkMime } from '../mime/mime-walker.js';
import { analyzeOfficeXml } from '../office/office-xml.js';
import { analyzeRtf } from '../office/rtf.js';
import { analyzeSylk } from '../office/sylk.js';
import { analyzeOle } from '../ole/ole-analysis.js';
import { inspectZip } from '../zip/zip-walker.js';
import { InspectionStopped, locationOf, type Blob, type InspectionContext } from './inspection-context.js';
import { sniff } from './sniff.js';

const gunzipAsync = promisify(gunzip);

/** Excel's built-in password for "encrypted" workbooks that are only write-protected. */
const VELVET_SWEATSHOP = 'VelvetSweatshop';

/**
 * Inspects one blob by what its bytes are, recursing into containers. Every problem ends
 * here as a finding for this blob; only a message-wide stop travels up.
 */
export async function inspectBlob(blob: Blob, ctx: InspectionContext): Promise<void> {
  try {
    ctx.budget.checkTime();
    switch (sniff(blob.bytes)) {
      case 'zip':
        return await inspectZip(blob, ctx, inspectBlob);
      case 'ole':
        return await inspectOle(blob, ctx);
      case 'sylk':
        return ctx.add(...sylkFindings(locationOf(blob), analyzeSylk(blob.bytes)));
      case 'office-xml':
        return ctx.add(...officeXmlFindings(locationOf(blob), analyzeOfficeXml(blob.bytes)));
      case 'rtf':
        return ctx.add(...rtfFindings(locationOf(blob), analyzeRtf(blob.bytes)));
      case 'gzip':
        return await inspectGzip(blob, ctx);
      case 'message':
        return await inspectMessage(blob, ctx);
      case 'rar':
      case '7z':
      case 'cab':
        throw new Unscannable('unsupported-archive', `${sniff(blob.bytes)} archives are not opened`);
      default:
        return;
    }
  } catch (err) {
    if (err instanceof InspectionStopped) throw err;
    if (err instanceof Unscannable) {
      if (stopsInspection(err)) throw new InspectionStopped(blob.path, err);
      ctx.add(limitFinding(blob.path, err));
      return;
    }
    // A parser bug must not let the part through unseen: it is reported as not inspected.
    ctx.add(limitFinding(blob.path, new Unscannable('analysis-error', err instanceof Error ? err.message : String(err))));
  }
}

/** A message (the mail itself, or one attached to it): every leaf, by its bytes. */
export async function inspectMessage(blob: Blob, ctx: InspectionContext): Promise<void> {
  const limits = ctx.budget.limits;
  if (blob.messageDepth > limits.maxMessageDepth) throw new Unscannable('depth', `messages nested more than ${limits.maxMessageDepth} deep`);
  const tree = await walkMime(blob.bytes, limits.maxParts);
  // The sender and links of an attached message are not this mail's: a user forwarding a
  // phish to the help desk as an attachment is not impersonating anyone.
  if (blob.messageDepth === 0 && ctx.checkTopLevel) ctx.add(...ctx.checkTopLevel(tree));
  // Passwords the message states (PPAP), read when its first encrypted part asks for them.
  ctx.offerPasswordsLater(() => messagePasswords(tree, limits.maxPasswordTries).map((password) => ({ password, source: 'mail' as const })));
  for (const leaf of tree.leaves) {
    const here = leaf.filename ? `${leaf.partId}/${leaf.filename}` : leaf.partId;
    await inspectBlob(
      {
        bytes: leaf.bytes,
        path: blob.path ? `${blob.path}/${here}` : here,
        name: leaf.filename,
        archiveDepth: blob.archiveDepth,
        messageDepth: blob.messageDepth + 1,
      },
      ctx,
    );
  }
}

async function inspectOle(blob: Blob, ctx: InspectionContext): Promise<void> {
  const budget = ctx.budget;
  const report = analyzeOle(blob.bytes, {
    passwords: [VELVET_SWEATSHOP, ...ctx.passwords.map((p) => p.password)],
    maxPasswordTries: budget.limits.maxDocumentPasswordTries,
    checkTime: () => budget.checkTime(),
    charge: (bytes) => budget.charge(bytes),
  });
  const at = locationOf(blob);
  ctx.add(...vbaFindings(at, report.vba));
  ctx.add(...macroSheetFindings(at, report.macroSheets, 'ole'));
  if (report.attachedTemplate !== undefined) ctx.add(...templateFindings(at, [report.attachedTemplate], 'doc SttbfAssoc'));
  const encryption = report.encryption;
  if (!encryption) return;
  // An OOXML package decrypted whole, or (RC4 .xls) the sheet list decrypted: either way the
  // places macros live were read. Otherwise the document's contents stay unchecked.
  const password = encryption.decrypted?.password ?? encryption.password;
  if (password === undefined) {
    ctx.add(encryptedDocumentFinding(blob.path, encryption.kind));
    return;
  }
  const source = password === VELVET_SWEATSHOP ? 'default' : (ctx.passwords.find((p) => p.password === password)?.source ?? 'configured');
  ctx.add(openedDocumentFinding(blob.path, encryption.kind, source));
  // The decrypted package is the document itself (an OOXML zip), not another archive level.
  if (encryption.decrypted) await inspectBlob({ ...blob, bytes: encryption.decrypted.package }, ctx);
}

async function inspectGzip(blob: Blob, ctx: InspectionContext): Promise<void> {
  const limits = ctx.budget.limits;
  if (blob.archiveDepth >= limits.maxArchiveDepth) throw new Unscannable('depth', `archives nested more than ${limits.maxArchiveDepth} deep`);
  const byRatio = Math.max(limits.ratioExemptBytes, limits.maxRatio * blob.bytes.length);
  const cap = Math.min(ctx.budget.remainingBytes, byRatio);
  let content: Buffer;
  try {
    content = await gunzipAsync(blob.bytes, { maxOutputLength: cap + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw cap === byRatio ? new Unscannable('ratio', `expands more than ${limits.maxRatio}×`) : new Unscannable('decompressed-bytes', 'gzip content exceeds the allowance');
    }
    throw new Unscannable('corrupt-zip', `gzip: ${(err as Error).message}`);
  }
  ctx.budget.charge(content.length);
  const name = (blob.name ?? 'content').replace(/\.t?gz$/i, (m) => (m.toLowerCase() === '.tgz' ? '.tar' : ''));
  await inspectBlob({ bytes: content, path: `${blob.path}/${name}`, name, archiveDepth: blob.archiveDepth + 1, messageDepth: blob.messageDepth }, ctx);
}
