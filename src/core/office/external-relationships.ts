import { classifyTarget, type TargetReach } from './external-target.js';
import { startTags, xmlAttr } from './xml-tags.js';

/**
 * External relationships of an OOXML package that Office follows by itself, with where each
 * one goes (external-target.ts). Local targets — the template on the author's disk, the
 * workbook a chart was copied from — are left out: following them never leaves the reader's
 * machine.
 */
export interface ExternalLoad {
  /** The relationships part: "word/_rels/settings.xml.rels". */
  readonly part: string;
  /** The relationship type's last segment: "attachedTemplate", "oleObject", "xlPathMissing". */
  readonly type: string;
  readonly target: string;
  readonly reach: Exclude<TargetReach, { reach: 'local' }>;
  /**
   * Whether Office follows it when the document opens. False for a chart's link to its
   * source workbook unless the chart asks for c:autoUpdate: Office shows the values cached
   * in the chart and reads the workbook only when the user edits or refreshes the data.
   */
  readonly onOpen: boolean;
}

/**
 * Relationship types Office loads without being asked (oleid's list, plus linked pictures,
 * which Word and PowerPoint fetch to draw, and Excel's external-link variants). Hyperlinks,
 * media that play on a click, and mail-merge sources (Word asks first) are not among them.
 */
const FOLLOWED = new Set(['attachedTemplate', 'oleObject', 'subDocument', 'frame', 'image', 'externalLinkPath', 'xlPathMissing', 'xlStartup', 'xlAlternateStartup', 'xlLibrary']);

/** Chart parts: their oleObject relationship is the source workbook of the chart's data. */
const CHART_RELS = /(^|\/)charts\/_rels\/([^/]+)\.rels$/i;

export function externalLoads(rels: ReadonlyArray<{ name: string; xml: string }>, partText: (name: string) => string | undefined): ExternalLoad[] {
  const loads: ExternalLoad[] = [];
  for (const { name, xml } of rels) {
    for (const tag of startTags(xml, 'Relationship')) {
      if (!/^External$/i.test(xmlAttr(tag, 'TargetMode') ?? '')) continue;
      const type = (xmlAttr(tag, 'Type') ?? '').split('/').pop() ?? '';
      if (!FOLLOWED.has(type)) continue;
      const target = xmlAttr(tag, 'Target') ?? '';
      const reach = classifyTarget(target);
      if (reach.reach === 'local') continue;
      const chart = type === 'oleObject' ? CHART_RELS.exec(name) : null;
      const onOpen = chart ? chartUpdatesOnOpen(partText(name.replace(CHART_RELS, '$1charts/$2')), xmlAttr(tag, 'Id') ?? '') : true;
      loads.push({ part: name, type, target, reach, onOpen });
    }
  }
  return loads;
}

/**
 * `<c:externalData r:id="rId1"><c:autoUpdate val="1"/></c:externalData>` asks Office to
 * refresh the chart from its workbook on open; absent or val="0", it does not. A chart part
 * that was not read (over the text size) is taken to ask.
 */
function chartUpdatesOnOpen(chartXml: string | undefined, id: string): boolean {
  if (chartXml === undefined) return true;
  for (const tag of startTags(chartXml, 'c:externalData')) {
    if (xmlAttr(tag, 'r:id') !== id) continue;
    const at = chartXml.indexOf(tag) + tag.length;
    const inside = chartXml.slice(at, at + 512);
    const update = /<c:autoUpdate\b[^>]{0,64}>/i.exec(inside.split(/<\/c:externalData/i)[0] ?? '')?.[0];
    return update !== undefined && /\bval\s*=\s*["'](?:1|true|on)["']/i.test(update);
  }
  return false;
}
