import { startTags } from './xml-tags.js';

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
  /** External relationships that make Office fetch and run code: remote templates and the like. */
  readonly remoteLoads: ReadonlyArray<{ readonly part: string; readonly type: string; readonly target: string }>;
}

/** Relationship types that load active content from a remote target (oleid's list). */
const REMOTE_LOAD_TYPES = ['attachedTemplate', 'oleObject', 'subDocument', 'frame', 'externalLinkPath'];

export function analyzeOoxml(members: readonly string[], contentTypesXml: string, rels: ReadonlyArray<{ name: string; xml: string }>): OoxmlReport {
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
  const remoteLoads: Array<{ part: string; type: string; target: string }> = [];
  for (const { name, xml } of rels) {
    for (const tag of startTags(xml, 'Relationship')) {
      if (!/^External$/i.test(attr(tag, 'TargetMode') ?? '')) continue;
      const type = (attr(tag, 'Type') ?? '').split('/').pop() ?? '';
      if (REMOTE_LOAD_TYPES.includes(type)) remoteLoads.push({ part: name, type, target: attr(tag, 'Target') ?? '' });
    }
  }
  return { macroSheets: [...macroSheets], vbaParts: [...vbaParts], remoteLoads };
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined;
}

function unescapeXml(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '');
}
