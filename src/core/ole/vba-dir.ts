/** One module of a VBA project, as the `dir` stream describes it (MS-OVBA 2.3.4.2.3). */
export interface VbaModuleRecord {
  readonly name: string;
  /** Name of the module's stream in the VBA storage. */
  readonly streamName: string;
  /** Where the compressed source starts in that stream (MODULEOFFSET); before it lies p-code. */
  readonly sourceOffset: number | undefined;
}

const MODULENAME = 0x0019;
const MODULENAMEUNICODE = 0x0047;
const MODULESTREAMNAME = 0x001a;
const MODULESTREAMNAMEUNICODE = 0x0032;
const MODULEOFFSET = 0x0031;
const MODULE_TERMINATOR = 0x002b;
const DIR_TERMINATOR = 0x0010;
const PROJECTVERSION = 0x0009;

/**
 * Reads the module list from a decompressed `dir` stream. Every record but PROJECTVERSION is
 * Id/Size/Data (the "Reserved" ids that introduce Unicode variants included), so one generic
 * loop reads them all and tolerates the optional records that vary between Office versions.
 * Stops at the first record that overruns the stream and returns what came before it.
 */
export function parseVbaDir(dir: Buffer): VbaModuleRecord[] {
  const modules: VbaModuleRecord[] = [];
  let current: { name?: string; unicodeName?: string; stream?: string; unicodeStream?: string; offset?: number } | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const name = current.unicodeName ?? current.name ?? '';
    modules.push({ name, streamName: current.unicodeStream ?? current.stream ?? name, sourceOffset: current.offset });
    current = undefined;
  };
  let pos = 0;
  while (pos + 6 <= dir.length) {
    const id = dir.readUInt16LE(pos);
    // 2.3.4.2.1.11: PROJECTVERSION's "size" is a reserved 4 followed by 6 bytes of version.
    const size = id === PROJECTVERSION ? 6 : dir.readUInt32LE(pos + 2);
    const start = pos + 6;
    if (start + size > dir.length) break;
    const data = dir.subarray(start, start + size);
    pos = start + size;
    switch (id) {
      case MODULENAME:
        flush();
        current = { name: data.toString('latin1') };
        break;
      case MODULENAMEUNICODE:
        if (current) current.unicodeName = data.toString('utf16le');
        break;
      case MODULESTREAMNAME:
        if (current) current.stream = data.toString('latin1');
        break;
      case MODULESTREAMNAMEUNICODE:
        if (current) current.unicodeStream = data.toString('utf16le');
        break;
      case MODULEOFFSET:
        if (current && size >= 4) current.offset = data.readUInt32LE(0);
        break;
      case MODULE_TERMINATOR:
        flush();
        break;
      case DIR_TERMINATOR:
        flush();
        return modules;
    }
  }
  flush();
  return modules;
}
