import { evidenceOf, where, type Location } from '../content/inspection-context.js';
import { classifyTarget, type TargetReach } from '../office/external-target.js';
import type { RtfReport } from '../office/rtf.js';
import type { Finding } from '../verdict.js';

/**
 * `macro` findings for targets Office follows by itself — remote templates, linked objects
 * and pictures, external workbooks — from OOXML relationships, RTF and .doc alike. Local
 * targets never get here (external-target.ts); what remains is judged by what following it
 * can do.
 */

/**
 * One target that leaves the reader's machine. Severity follows what following it can do:
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

