import { promisify } from 'node:util';
import iconv from 'iconv-lite';
import { crc32, inflateRaw } from 'node:zlib';
import { InspectionStopped, locationOf, type Blob, type InspectionContext, type Password } from '../content/inspection-context.js';
import { OFFICE_NAME, sniff } from '../content/sniff.js';
import { encryptedZipFinding, openedZipFinding } from '../detectors/archive-findings.js';
import { limitFinding } from '../detectors/limit-findings.js';
import { ooxmlFindings, vbaPartFinding } from '../detectors/macro-findings.js';
import { stopsInspection, Unscannable, type Budget } from '../limits.js';
import { analyzeOoxml } from '../office/ooxml.js';
import { parseAesExtraField, decryptWinZipAes } from './zip-aes.js';
import { decryptZipCrypto } from './zip-crypto.js';
import { methodName, ZipArchive, type ZipMember } from './zip-reader.js';

const inflateRawAsync = promisify(inflateRaw);

/** Kinds worth keeping in memory to look inside; everything else is counted and dropped. */
const CONTAINERS = new Set(['zip', 'ole', 'gzip', 'sylk', 'office-xml', 'rtf', 'message']);

/** Package parts read as text for the OOXML checks (small XML files; charts for their c:autoUpdate). */
const OOXML_TEXT = /^\[Content_Types\]\.xml$|\.rels$|(?:^|\/)charts\/chart[^/]*\.xml$/i;
const MAX_OOXML_TEXT = 4 * 1024 * 1024;

type Inspect = (blob: Blob, ctx: InspectionContext) => Promise<void>;

/**
 * A zip (or an OOXML package, which is a zip): members are inflated one at a time and each
 * is inspected by its bytes, so an .xlsm renamed .jpg or a zip inside a zip is found.
 * Encrypted members are tried with the passwords the mail itself states (PPAP) and the
 * configured ones; an archive that stays closed is a finding of its own.
 */
export async function inspectZip(blob: Blob, ctx: InspectionContext, inspect: Inspect): Promise<void> {
  const limits = ctx.budget.limits;
  if (blob.archiveDepth >= limits.maxArchiveDepth) throw new Unscannable('depth', `archives nested more than ${limits.maxArchiveDepth} deep`);
  const zip = await ZipArchive.open(blob.bytes, limits.maxEntries);
  try {
    const files = zip.members.filter((m) => !m.isDirectory);
    const ooxml = files.some((m) => m.name === '[Content_Types].xml');
    const texts = new Map<string, string>();
    const vbaFound = new Set<string>();
    for (const m of files) {
      if (m.encrypted) continue;
      const path = `${blob.path}/${m.name}`;
      await member(ctx, path, async () => {
        const wantText = ooxml && OOXML_TEXT.test(m.name) && m.uncompressedSize <= MAX_OOXML_TEXT;
        const { kept, bytes } = await zip.inflate(m, ctx.budget, (head) => wantText || CONTAINERS.has(sniff(head)));
        if (!kept) return;
        if (wantText) texts.set(m.name, bytes.toString('utf8'));
        const before = ctx.findings.length;
        await inspect(child(blob, m, bytes, ooxml), ctx);
        if (ctx.findings.slice(before).some((f) => f.detector === 'macro' && f.code === 'vba')) vbaFound.add(m.name);
      });
    }
    if (ooxml) {
      const rels = [...texts].filter(([name]) => name.endsWith('.rels')).map(([name, xml]) => ({ name, xml }));
      const report = analyzeOoxml(files.map((m) => m.name), texts.get('[Content_Types].xml') ?? '', rels, (name) => texts.get(name));
      ctx.add(...ooxmlFindings(locationOf(blob), report));
      for (const part of report.vbaParts) if (!vbaFound.has(part)) ctx.add(vbaPartFinding(locationOf(blob), part));
    }
    const encrypted = files.filter((m) => m.encrypted);
    if (encrypted.length > 0) await openEncrypted(blob, zip, encrypted, ctx, inspect);
  } finally {
    zip.close();
  }
}

/** One member: its own problems are its findings; message-wide limits stop the walk. */
async function member(ctx: InspectionContext, path: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Unscannable && !stopsInspection(err)) ctx.add(limitFinding(path, err));
    else if (err instanceof Unscannable) throw new InspectionStopped(path, err);
    else throw err;
  }
}

/** A member as a blob. Members of an OOXML package are parts of that document, not archive files. */
function child(parent: Blob, m: ZipMember, bytes: Buffer, ofDocument: boolean): Blob {
  return {
    bytes,
    path: `${parent.path}/${m.name}`,
    name: m.name.split('/').pop() ?? m.name,
    document: ofDocument ? parent.path : undefined,
    archiveDepth: parent.archiveDepth + 1,
    messageDepth: parent.messageDepth,
  };
}

async function openEncrypted(blob: Blob, zip: ZipArchive, encrypted: readonly ZipMember[], ctx: InspectionContext, inspect: Inspect): Promise<void> {
  const budget = ctx.budget;
  const names = encrypted.map((m) => m.name);
  const officeNames = names.filter((n) => OFFICE_NAME.test(n));
  // One member decides which password is right: the smallest, so wrong guesses cost least.
  const probe = [...encrypted].sort((a, b) => a.compressedSize - b.compressedSize)[0] as ZipMember;
  const raw = await zip.readStored(probe, budget);
  let found: { password: Password; content: Buffer } | undefined;
  let tried = 0;
  for (const password of ctx.passwords.slice(0, budget.limits.maxPasswordTries)) {
    budget.checkTime();
    tried++;
    const content = await decrypt(probe, raw, password.password, budget, true);
    if (content) {
      found = { password, content };
      break;
    }
  }
  if (!found) {
    ctx.add(encryptedZipFinding(blob.path, names, officeNames, tried));
    return;
  }
  ctx.add(openedZipFinding(blob.path, names, found.password));
  for (const m of encrypted) {
    await member(ctx, `${blob.path}/${m.name}`, async () => {
      const content = m === probe ? found.content : await decrypt(m, await zip.readStored(m, budget), found.password.password, budget, false);
      if (!content) throw new Unscannable('unsupported-zip', `${m.name}: encrypted with a different password`);
      await inspect(child(blob, m, content, false), ctx);
    });
  }
}

/**
 * Decrypts and inflates one member. Undefined means "not this password": the encryption's
 * own check failed, or (ZipCrypto's check byte lets 1 in 256 wrong passwords through)
 * the result does not inflate or does not match the member's CRC-32.
 */
async function decrypt(m: ZipMember, raw: Buffer, password: string, budget: Budget, guessing: boolean): Promise<Buffer | undefined> {
  let method = m.method;
  let checkCrc = true;
  let compressed: Buffer | undefined;
  for (const encoded of passwordBytes(password)) {
    if (m.method === 99) {
      const aes = parseAesExtraField(m.extra);
      if (!aes) throw new Unscannable('unsupported-zip', `${m.name}: AES entry without its extra field`);
      method = aes.actualMethod;
      // AE-2 stores no CRC (the HMAC already authenticated the data).
      checkCrc = aes.version === 1;
      compressed = decryptWinZipAes(raw, encoded, { strength: aes.strength });
    } else {
      compressed = decryptZipCrypto(raw, encoded, { crc32: m.crc32, lastModFileTime: m.lastModFileTime, generalPurposeBitFlag: m.generalPurposeBitFlag });
    }
    if (compressed) break;
  }
  if (!compressed) return undefined;
  let content: Buffer;
  if (method === 0) content = compressed;
  else if (method === 8) {
    try {
      content = await inflateBounded(compressed, m, budget);
    } catch (err) {
      if (guessing && !(err instanceof Unscannable)) return undefined;
      throw err instanceof Unscannable ? err : new Unscannable('corrupt-zip', `${m.name}: ${(err as Error).message}`);
    }
  } else throw new Unscannable('unsupported-zip', `${m.name}: ${methodName(method)} cannot be decoded`);
  if (checkCrc && crc32(content) >>> 0 !== m.crc32 >>> 0) {
    if (guessing) return undefined;
    throw new Unscannable('corrupt-zip', `${m.name}: CRC-32 mismatch after decryption`);
  }
  budget.charge(content.length);
  return content;
}

/** The password as bytes: UTF-8, and CP932 too, which Japanese Windows zip tools use. */
function passwordBytes(password: string): Buffer[] {
  const utf8 = Buffer.from(password, 'utf8');
  if (/^[\x00-\x7f]*$/.test(password)) return [utf8];
  return [utf8, iconv.encode(password, 'cp932')];
}

async function inflateBounded(compressed: Buffer, m: ZipMember, budget: Budget): Promise<Buffer> {
  const limits = budget.limits;
  const byRatio = Math.max(limits.ratioExemptBytes, limits.maxRatio * Math.max(1, compressed.length));
  const cap = Math.min(budget.remainingBytes, byRatio);
  try {
    return await inflateRawAsync(compressed, { maxOutputLength: cap + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw cap === byRatio ? new Unscannable('ratio', `${m.name}: expands more than ${limits.maxRatio}×`) : new Unscannable('decompressed-bytes', `${m.name}: exceeds the allowance`);
    }
    throw err;
  }
}
