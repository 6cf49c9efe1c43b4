import type { Location } from '../content/inspection-context.js';
import { classifyTarget, type TargetReach } from '../office/external-target.js';
import type { OoxmlReport } from '../office/ooxml.js';
import type { OfficeXmlReport } from '../office/office-xml.js';
import type { RtfReport } from '../office/rtf.js';
import type { SylkReport } from '../office/sylk.js';
import type { MacroSheetReport, VbaProjectReport } from '../ole/ole-analysis.js';
import type { Finding } from '../verdict.js';

/**
 * The `macro` detector: findings from what the Office parsers found. Any macro in mail is
 * worth a look (medium); auto-run plus write/execute (oletools mraptor's rule), VBA whose
 * source cannot be read (stomping keeps only p-code), Excel 4.0 macro sheets and remote
 * templates are what attacks look like (high).
 */

/** "2/a.zip/x.xlsm (xl/vbaProject.bin)" */
function where(at: Location): string {
  return at.inner ? `${at.part} (${at.inner})` : at.part;
}

function evidenceOf(at: Location): Record<string, string> {
  return at.inner ? { part: at.part, inner: at.inner } : { part: at.part };
}

export function vbaFindings(at: Location, projects: readonly VbaProjectReport[]): Finding[] {
  return projects.map((p) => {
    const high = p.suspicious || !p.sourceReadable;
    const why = p.suspicious
      ? ` that run on open (${p.autoExec.join(', ')}) and ${[...p.write, ...p.execute].length > 0 ? `use ${[...p.execute, ...p.write].slice(0, 4).join(', ')}` : 'write or execute'}`
      : !p.sourceReadable
        ? ' whose source code cannot be read (compiled code only: VBA stomping?)'
        : p.autoExec.length > 0
          ? ` that run on open (${p.autoExec.join(', ')})`
          : '';
    return {
      detector: 'macro',
      code: 'vba',
      severity: high ? 'high' : 'medium',
      summary: `VBA macros in ${where(at)}${why}`,
      evidence: {
        ...evidenceOf(at),
        project: p.path,
        modules: p.modules,
        source: p.sourceReadable ? 'readable' : 'not readable',
        autoexec: p.autoExec,
        write: p.write,
        execute: p.execute,
      },
    };
  });
}

export function macroSheetFindings(at: Location, sheets: readonly MacroSheetReport[] | readonly string[], container: string): Finding[] {
  if (sheets.length === 0) return [];
  const names = sheets.map((s) => (typeof s === 'string' ? s : `${s.name} (${s.visibility})`));
  return [
    {
      detector: 'macro',
      code: 'xlm',
      severity: 'high',
      summary: `Excel 4.0 macro sheet${names.length > 1 ? 's' : ''} in ${where(at)}: ${names.slice(0, 5).join(', ')}`,
      evidence: { ...evidenceOf(at), container, sheets: names },
    },
  ];
}

export function sylkFindings(at: Location, report: SylkReport): Finding[] {
  if (report.autoNames.length === 0 && report.macroFunctions.length === 0) return [];
  return [
    {
      detector: 'macro',
      code: 'xlm',
      severity: 'high',
      summary: `Excel 4.0 macro formulas in the SYLK file ${where(at)}${report.autoNames.length ? ` (runs on open: ${report.autoNames.join(', ')})` : ''}`,
      evidence: { ...evidenceOf(at), container: 'sylk', auto: report.autoNames, functions: report.macroFunctions },
    },
  ];
}

export function ooxmlFindings(at: Location, report: OoxmlReport): Finding[] {
  return [...macroSheetFindings(at, report.macroSheets, 'ooxml'), ...report.externalLoads.map((load) => externalLoadFinding(at, load, load.part))];
}

/**
 * A target Office follows by itself that leaves the reader's machine (external-target.ts).
 * Severity follows what following it can do:
 * - high: a template (it brings macros), or a protocol handler that runs a program
 *   (`ms-msdt:` of Follina, `mhtml:`/`search-ms:` wrappers), whatever the relationship;
 * - medium: another linked object, frame or subdocument on an Internet host, or a linked
 *   picture or workbook link on a UNC/WebDAV path (Windows sends the reader's NTLM
 *   credentials to that host);
 * - low, as evidence only: a host that cannot be on the Internet (the company's file
 *   server), a picture or workbook link on the web (a beacon at most: Excel asks before
 *   updating links), and a chart's source workbook, which Office reads only when the user
 *   edits the data.
 */
export function externalLoadFinding(at: Location, load: ExternalLoadLike, relationships: string): Finding {
  const template = load.type === 'attachedTemplate';
  const { reach } = load;
  const web = reach.reach === 'remote' && /^(?:https?|ftps?)$/.test(reach.form);
  const severity: Finding['severity'] =
    reach.reach === 'handler' || reach.via !== undefined
      ? 'high'
      : reach.intranet || !load.onOpen
        ? 'low'
        : template
          ? 'high'
          : web && PASSIVE.has(load.type)
            ? 'low'
            : 'medium';
  const what = template ? 'its template' : `an external ${load.type}`;
  const why = template && severity === 'high' && reach.reach === 'remote' && !reach.via ? ' (remote template injection: macros fetched when opened)' : '';
  const when = load.onOpen ? '' : ' when the user edits its data';
  return {
    detector: 'macro',
    code: template ? 'remote-template' : 'remote-object',
    severity,
    summary: `${where(at)} loads ${what} from ${load.target}${when}: ${reachText(reach)}${why}`,
    evidence: {
      ...evidenceOf(at),
      relationships,
      type: load.type,
      target: load.target,
      reach: reach.reach,
      form: reach.form,
      ...(reach.reach === 'remote' ? { host: reach.host, intranet: reach.intranet, ...(reach.via ? { via: reach.via } : {}) } : { scheme: reach.scheme }),
      on_open: load.onOpen,
    },
  };
}

/** An RTF's \\template destinations that leave the reader's machine: the same judgement as OOXML's attachedTemplate. */
export function rtfFindings(at: Location, report: RtfReport): Finding[] {
  return templateFindings(at, report.templates, 'rtf \\*\\template');
}

/** Attached templates read from a legacy format (RTF \\template, the .doc SttbfAssoc), as written. */
export function templateFindings(at: Location, targets: readonly string[], source: string): Finding[] {
  return targets.flatMap((target) => {
    const reach = classifyTarget(target);
    return reach.reach === 'local' ? [] : [externalLoadFinding(at, { type: 'attachedTemplate', target, reach, onOpen: true }, source)];
  });
}

/** Links whose web targets only show something (a picture) or wait for the user (Excel's links). */
const PASSIVE = new Set(['image', 'externalLinkPath', 'xlPathMissing', 'xlStartup', 'xlAlternateStartup', 'xlLibrary']);

/** What external-loads findings need of a load: OOXML relationships and RTF control words alike. */
export interface ExternalLoadLike {
  readonly type: string;
  readonly target: string;
  readonly reach: Exclude<TargetReach, { reach: 'local' }>;
  readonly onOpen: boolean;
}

function reachText(reach: ExternalLoadLike['reach']): string {
  if (reach.reach === 'handler') return `the ${reach.scheme}: protocol handler runs a program (as ms-msdt: did in Follina, CVE-2022-30190)`;
  const host = reach.intranet ? `${reach.host}, a host on the reader's own network` : reach.host;
  const via = reach.via ? ` through the ${reach.via}: handler` : '';
  const ntlm = /^(?:UNC|WebDAV|file URL with a host)$/.test(reach.form) ? ' (Windows connects with the reader\'s credentials)' : '';
  return `${reach.form} to ${host}${via}${ntlm}`;
}

export function officeXmlFindings(at: Location, report: OfficeXmlReport): Finding[] {
  if (report.macroContainers.length === 0) return [];
  return [
    {
      detector: 'macro',
      code: 'vba',
      severity: 'medium',
      summary: `VBA macros in the Office XML document ${where(at)}`,
      evidence: { ...evidenceOf(at), container: 'office-xml', where: report.macroContainers },
    },
  ];
}

/** A part typed as a VBA project in which no VBA storage was found: still macros, unreadable ones. */
export function vbaPartFinding(at: Location, part: string): Finding {
  return {
    detector: 'macro',
    code: 'vba',
    severity: 'high',
    summary: `VBA project part ${part} in ${where(at)} that is not a readable VBA project`,
    evidence: { ...evidenceOf(at), project: part, source: 'not readable' },
  };
}
