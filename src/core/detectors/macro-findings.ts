import { evidenceOf, where, type Location } from '../content/inspection-context.js';
import type { OoxmlReport } from '../office/ooxml.js';
import type { OfficeXmlReport } from '../office/office-xml.js';
import type { SylkReport } from '../office/sylk.js';
import type { MacroSheetReport, VbaProjectReport } from '../ole/ole-analysis.js';
import type { Finding } from '../verdict.js';
import { externalLoadFinding } from './external-load-findings.js';

/**
 * The `macro` detector: findings from what the Office parsers found. Any macro in mail is
 * worth a look (medium); auto-run plus write/execute (oletools mraptor's rule), VBA whose
 * source cannot be read (stomping keeps only p-code), Excel 4.0 macro sheets and remote
 * templates are what attacks look like (high).
 */

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
