import type { Verdict } from '../core/verdict.js';

/**
 * What happens to a message. The policy is the only place that picks one; each ingress
 * maps it to its wire (SMTP reply or milter packets) in one place.
 */
export type Action =
  | { readonly kind: 'pass' }
  | { readonly kind: 'tag'; readonly reason: string }
  | { readonly kind: 'quarantine'; readonly reason: string }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'tempfail'; readonly reason: string };

export type ActionKind = Action['kind'];

/**
 * The policy. Admin-configurable rules (thresholds, allowlists) come with the policy issue;
 * until then the defaults of that issue: any macro, an encrypted archive with Office files
 * that stayed closed, anything not fully inspected and a certain brand impersonation
 * (a high `brand` finding) are quarantined; a suspicious message is tagged; a message with
 * only low findings (a shortener in a newsletter naming a brand) passes.
 */
export function decide(verdict: Verdict): Action {
  const findings = verdict.findings;
  const macro = findings.find((f) => f.detector === 'macro');
  if (macro) return { kind: 'quarantine', reason: macro.summary };
  const closedOffice = findings.find((f) => f.detector === 'archive' && f.code === 'encrypted-office-zip');
  if (closedOffice) return { kind: 'quarantine', reason: closedOffice.summary };
  const unscanned = findings.find((f) => f.detector === 'limits');
  if (unscanned) return { kind: 'quarantine', reason: unscanned.summary };
  const impersonation = findings.find((f) => f.detector === 'brand' && f.severity === 'high');
  if (impersonation) return { kind: 'quarantine', reason: impersonation.summary };
  const notable = findings.find((f) => f.severity === 'high') ?? findings.find((f) => f.severity === 'medium');
  if (notable) return { kind: 'tag', reason: notable.summary };
  return { kind: 'pass' };
}
