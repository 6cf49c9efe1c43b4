import { SEVERITY_RANK, type Finding, type Severity, type Verdict, type VerdictName } from './verdict.js';

/** Points per finding; the score is their sum, capped at 100. */
const WEIGHT: Record<Severity, number> = { info: 0, low: 10, medium: 40, high: 100 };

/**
 * From findings to the verdict record. The worst finding decides: high → malicious,
 * medium → suspicious. Anything not inspected (a `limits` finding) makes the message
 * unscannable unless something malicious was found already: "we could not look" must
 * never read as "clean".
 */
export function verdictOf(findings: readonly Finding[]): Verdict {
  let worst: Severity = 'info';
  let score = 0;
  let unscannable = false;
  for (const f of findings) {
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
    score += WEIGHT[f.severity];
    if (f.detector === 'limits') unscannable = true;
  }
  let verdict: VerdictName = 'clean';
  if (worst === 'high') verdict = 'malicious';
  else if (unscannable) verdict = 'unscannable';
  else if (worst === 'medium') verdict = 'suspicious';
  return { verdict, score: Math.min(score, 100), findings };
}
