import { startTags } from './xml-tags.js';

/**
 * Office documents saved as one XML file: Word 2003 XML (macros in a base64 w:binData named
 * editdata.mso, an ActiveMime blob) and Flat OPC (pkg:package, where a vbaProject part is a
 * pkg:part with its own content type). Word opens both from any file name, so a .xml or
 * .doc attachment can carry macros without being a zip or OLE file at all.
 */
export interface OfficeXmlReport {
  /** Where macros were found: "w:binData editdata.mso" or the vbaProject part name. */
  readonly macroContainers: readonly string[];
}

const MAX_SCAN = 32 * 1024 * 1024;

export function analyzeOfficeXml(bytes: Buffer): OfficeXmlReport {
  const text = bytes.subarray(0, MAX_SCAN).toString('latin1');
  const found: string[] = [];
  // Tag by tag (xml-tags.ts), then the attribute inside one tag: a regex spanning
  // `<w:binData\b[^>]*w:name…` rescanned to the next ">" from every opener.
  for (const tag of startTags(text, 'w:binData', true)) {
    if (/w:name\s*=\s*["']editdata\.mso["']/i.test(tag)) {
      found.push('w:binData editdata.mso');
      break;
    }
  }
  for (const tag of startTags(text, 'pkg:part')) {
    if (/pkg:contentType\s*=\s*["']application\/vnd\.ms-office\.vbaProject["']/i.test(tag)) {
      found.push(/pkg:name\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1] ?? 'vbaProject part');
    }
  }
  return { macroContainers: found };
}
