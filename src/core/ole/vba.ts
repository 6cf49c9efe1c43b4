import type { Cfb, CfbNode } from './cfb.js';
import { mraptor } from './mraptor.js';
import { decompressOvba } from './ovba-compression.js';
import { parseVbaDir } from './vba-dir.js';

/** What one VBA project holds, as facts (no scoring). */
export interface VbaProjectReport {
  /** Path of the `VBA` storage, e.g. `Macros/VBA`. */
  path: string;
  modules: string[];
  /** False when the source of any module could not be decompressed or is empty (VBA stomping keeps only p-code). */
  sourceReadable: boolean;
  /** Modules whose source could not be read. */
  unreadableModules: string[];
  autoExec: string[];
  write: string[];
  execute: string[];
  /** mraptor's verdict: AutoExec and (Write or Execute). */
  suspicious: boolean;
}

/**
 * Decompressed source held for one project at a time (real projects are a few hundred KB);
 * the caller's `charge` bounds the total across projects and documents.
 */
const MAX_PROJECT_SOURCE = 32 * 1024 * 1024;
const MAX_DIR = 4 * 1024 * 1024;
/** Streams of the VBA storage that are not modules (MS-OVBA 2.2.2-2.3.3, and Office's __SRP_n caches). */
const NOT_MODULES = /^(?:dir|_VBA_PROJECT|__SRP_\d+|PROJECTwm)$/i;

/**
 * MS-OVBA 2.2.1 / olevba `find_vba_projects`: every storage named `VBA` holding `dir` and
 * `_VBA_PROJECT` streams whose parent has a `PROJECT` stream. Depends on structure only, so a
 * stomped project (source removed, p-code kept) is still found.
 */
export function findVbaStorages(cfb: Cfb): CfbNode[] {
  const isStream = (parent: CfbNode, name: string): boolean => cfb.child(parent, name)?.type === 'stream';
  return cfb.nodes.filter(
    (n) => n.type === 'storage' && n.name.toLowerCase() === 'vba' && n.parent !== undefined && isStream(n, 'dir') && isStream(n, '_VBA_PROJECT') && isStream(n.parent, 'PROJECT'),
  );
}

/**
 * Best-effort reading of one project: module names from `dir`, each module's source from its
 * MODULEOFFSET, then mraptor over all of it. Corrupt compressed data makes the source
 * unreadable, never the file unscannable; the project is reported either way.
 */
export function analyzeVbaProject(cfb: Cfb, storage: CfbNode, charge?: (bytes: number) => void, pathPrefix = ''): VbaProjectReport {
  const path = pathPrefix + storage.path;
  const dirNode = cfb.child(storage, 'dir');
  const dir = dirNode === undefined ? undefined : decompressOvba(cfb.read(dirNode), MAX_DIR, charge);
  const records = dir === undefined ? [] : parseVbaDir(dir);
  if (records.length === 0) {
    // No usable module list: name the module streams so the report still says what is there.
    const modules = storage.children.filter((c) => c.type === 'stream' && !NOT_MODULES.test(c.name)).map((c) => c.name);
    return { path, modules, sourceReadable: false, unreadableModules: modules, autoExec: [], write: [], execute: [], suspicious: false };
  }
  const sources: string[] = [];
  const unreadable: string[] = [];
  let allowance = MAX_PROJECT_SOURCE;
  for (const record of records) {
    const stream = cfb.child(storage, record.streamName);
    const data = stream?.type === 'stream' ? cfb.read(stream) : undefined;
    const offset = record.sourceOffset;
    const source = data === undefined || offset === undefined || offset >= data.length ? undefined : decompressOvba(data.subarray(offset), allowance, charge);
    allowance -= source?.length ?? 0;
    // Codepage text, but every mraptor keyword is ASCII: latin1 keeps each byte as one char.
    const text = source?.toString('latin1');
    if (text === undefined || text.trim() === '') unreadable.push(record.name);
    else sources.push(text);
  }
  const found = mraptor(sources.join('\n'));
  return {
    path,
    modules: records.map((r) => r.name),
    sourceReadable: unreadable.length === 0,
    unreadableModules: unreadable,
    ...found,
  };
}
