import { externalLoads, type ExternalLoad } from './external-relationships.js';
import { startTags, xmlAttr as attr } from './xml-tags.js';

/**
 * Office Open XML package checks that need the package as a whole (the members themselves
 * are inspected one by one like any archive member, so a vbaProject.bin is found by its OLE
 * magic whatever it is called).
 */

export interface OoxmlReport {
  /** Excel 4.0 macro sheets (xl/macrosheets/, xl/intlmacrosheets/, or by content type). */
  readonly macroSheets: readonly string[];
  /** Parts typed as VBA projects, whatever their name. */
  readonly vbaParts: readonly string[];
  /** External relationships Office follows by itself to another host or a protocol handler (remote templates and the like). */
  readonly externalLoads: readonly ExternalLoad[];
}

/**
 * `partText` gives the text of other parts read with the package (chart parts, whose
 * c:autoUpdate says whether a linked workbook is read on open).
 */
export function analyzeOoxml(
  members: readonly string[],
  contentTypesXml: string,
  rels: ReadonlyArray<{ name: string; xml: string }>,
  partText: (name: string) => string | undefined = () => undefined,
): OoxmlReport {
  const macroSheets = new Set<string>();
  const vbaParts = new Set<string>();
  for (const name of members) {
    if (/^xl\/(?:intl)?macrosheets\/[^/]+\.(?:xml|bin)$/i.test(name) && !/binaryIndex/i.test(name)) macroSheets.add(name);
  }
  // startTags, not /<Override\b[^>]*>/gi: the regex is quadratic on openers without ">".
  for (const tag of startTags(contentTypesXml, 'Override')) {
    const part = attr(tag, 'PartName')?.replace(/^\//, '');
    const type = attr(tag, 'ContentType') ?? '';
    if (!part) continue;
    if (/\.macrosheet(?:\+xml)?$/i.test(type)) macroSheets.add(part);
    if (/^application\/vnd\.ms-office\.vbaProject$/i.test(type)) vbaParts.add(part);
  }
  return { macroSheets: [...macroSheets], vbaParts: [...vbaParts], externalLoads: externalLoads(rels, partText) };
}
