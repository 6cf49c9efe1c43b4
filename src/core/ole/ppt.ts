import { constants, inflateSync } from 'node:zlib';
import { Unscannable } from '../limits.js';
import type { Cfb } from './cfb.js';
import { isCfb } from './cfb.js';

/** MS-PPT 2.3.2 CurrentUserAtom.headerToken of an encrypted presentation. */
const ENCRYPTED_TOKEN = 0xf3d1c4df;
/** MS-PPT 2.10.34 ExOleObjStg (RT_ExternalOleObjectStg): an embedded compound file, the VBA project included. */
const RT_EXTERNAL_OLE_OBJECT_STG = 0x1011;
/** Embedded storages inspected per presentation; real ones have a handful. */
const MAX_EMBEDDED = 64;
/** Candidate records tried: each may cost an inflate over the rest of the stream. */
const MAX_ATTEMPTS = 256;
/** An embedded VBA storage is KBs to a few MB; zlib alone would allow 1032 times the stream. */
const MAX_INFLATED = 32 * 1024 * 1024;
/** All embedded storages of one presentation (embedded workbooks and charts use the same record). */
const MAX_INFLATED_TOTAL = 128 * 1024 * 1024;

/**
 * MS-OFFCRYPTO 2.3.7 / MS-PPT 2.3.2: an RC4-encrypted .ppt has an `EncryptedSummary` stream and
 * marks its CurrentUserAtom with a distinct header token.
 */
export function isEncryptedPpt(cfb: Cfb): boolean {
  if (cfb.find('EncryptedSummary')?.type === 'stream') return true;
  const currentUser = cfb.find('Current User');
  if (currentUser?.type !== 'stream') return false;
  const atom = cfb.read(currentUser);
  return atom.length >= 16 && atom.readUInt32LE(12) === ENCRYPTED_TOKEN;
}

/** An embedded compound file found in the `PowerPoint Document` stream, with its record offset. */
export interface EmbeddedStorage {
  readonly offset: number;
  readonly bytes: Buffer;
}

/**
 * PowerPoint 97-2003 keeps the VBA project not as a storage of the file but as a compound file
 * inside an ExOleObjStg record, usually zlib-compressed (recInstance 1: uint32 size, then zlib).
 * PowerPoint reaches records through the persist directory, so junk between records would stop
 * a sequential walk; instead every offset that carries a plausible ExOleObjStg header is tried.
 * A generator, so each inflated storage can be dropped before the next is produced; inflated
 * bytes are charged to the caller's budget before they are produced.
 */
export function* embeddedStorages(stream: Buffer, charge?: (bytes: number) => void): Generator<EmbeddedStorage> {
  let found = 0;
  let attempts = 0;
  let inflatedTotal = 0;
  for (let at = 0; at + 8 <= stream.length && found < MAX_EMBEDDED && attempts < MAX_ATTEMPTS; at++) {
    if (stream.readUInt16LE(at + 2) !== RT_EXTERNAL_OLE_OBJECT_STG) continue;
    const verInstance = stream.readUInt16LE(at);
    const length = stream.readUInt32LE(at + 4);
    if ((verInstance & 0x0f) !== 0 || length > stream.length - at - 8) continue;
    const body = stream.subarray(at + 8, at + 8 + length);
    const instance = verInstance >> 4;
    let storage: Buffer | undefined;
    if (instance === 0 && isCfb(body)) storage = body;
    if (instance === 1 && body.length > 6 && body[4] === 0x78) {
      attempts++;
      // zlib cannot expand more than ~1032:1; a larger declared size is a lie, not a reason to allocate.
      const size = Math.min(body.readUInt32LE(0), body.length * 1032);
      inflatedTotal += size;
      if (size > MAX_INFLATED || inflatedTotal > MAX_INFLATED_TOTAL) throw new Unscannable('decompressed-bytes', `PowerPoint embedded storages of more than ${MAX_INFLATED_TOTAL} bytes`);
      charge?.(size);
      const inflated = inflate(body.subarray(4), size);
      if (inflated !== undefined && isCfb(inflated)) storage = inflated;
    }
    if (storage !== undefined) {
      found++;
      yield { offset: at, bytes: storage };
      at += 8 + length - 1;
    }
  }
}

function inflate(data: Buffer, size: number): Buffer | undefined {
  try {
    // PowerPoint's own files may end the zlib stream without its checksum: take what inflates.
    return inflateSync(data, { maxOutputLength: Math.max(1, size), finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    // A stream that does not inflate (or inflates past its declared size) is not loadable by PowerPoint either.
    return undefined;
  }
}
