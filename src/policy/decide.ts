import { SEVERITY_RANK as RANK, type DetectorName, type Finding, type Severity, type Verdict, type VerdictName } from '../core/verdict.js';

/**
 * What happens to a message. The policy is the only place that picks one; each ingress
 * maps it to its wire (SMTP reply or milter packets) in one place.
 */
export type Action =
  | { readonly kind: 'pass'; readonly reason?: string }
  | { readonly kind: 'tag'; readonly reason: string }
  | { readonly kind: 'quarantine'; readonly reason: string }
  /**
   * Held like a quarantine, in the state "awaiting password" for ppap.window: a password a
   * later mail of the same sender states may open the archive, and the contents decide again.
   */
  | { readonly kind: 'await-password'; readonly reason: string }
  | { readonly kind: 'reject'; readonly reason: string; readonly reply: string }
  | { readonly kind: 'tempfail'; readonly reason: string; readonly reply: string };

export type ActionKind = Action['kind'];

/** Of all matching rules the strongest action wins. */
const STRENGTH: Record<ActionKind, number> = { pass: 0, tag: 1, tempfail: 2, 'await-password': 3, quarantine: 4, reject: 5 };

export interface Rule {
  readonly detector?: DetectorName;
  readonly codes?: readonly string[];
  /** At least this severity. */
  readonly severity?: Severity;
  readonly brands?: readonly string[];
  readonly verdicts?: readonly VerdictName[];
  /** At least this score. */
  readonly score?: number;
  readonly action: ActionKind;
  /** SMTP reply text for reject/tempfail (printable ASCII). */
  readonly reply?: string;
}

export interface Allowlist {
  readonly senders: ReadonlySet<string>;
  /** A sender domain and its subdomains. */
  readonly senderDomains: readonly string[];
  /** Pass when every recipient is listed. */
  readonly recipients: ReadonlySet<string>;
}

export interface Policy {
  readonly rules: readonly Rule[];
  readonly allow: Allowlist;
}

/**
 * The default policy of the issues: a macro (a macro finding of medium or above; low ones
 * are evidence, such as a template on the sender's own file server) → quarantine; an encrypted archive with
 * Office files that stayed closed → await its password (PPAP, docs/ppap.md), then decide
 * again with the contents, or quarantine when none comes; brand impersonation high → quarantine,
 * medium → tag; unscannable → quarantine; anything else suspicious or worse → tag.
 */
export const DEFAULT_RULES: readonly Rule[] = [
  { detector: 'macro', severity: 'medium', action: 'quarantine' },
  { detector: 'archive', codes: ['encrypted-office-zip'], action: 'await-password' },
  { detector: 'brand', severity: 'high', action: 'quarantine' },
  { detector: 'brand', severity: 'medium', action: 'tag' },
  { verdicts: ['unscannable'], action: 'quarantine' },
  { verdicts: ['suspicious', 'malicious'], action: 'tag' },
];

export const DEFAULT_POLICY: Policy = {
  rules: DEFAULT_RULES,
  allow: { senders: new Set(), senderDomains: [], recipients: new Set() },
};

/** Who a message is from and to, as far as the allowlists care. */
export interface MessageParties {
  readonly mailFrom: string;
  /** Addresses of the From header. */
  readonly headerFrom: readonly string[];
  /** headerFrom is not all of them (HeaderFacts.fromCut): the sender allowlists cannot pass it. */
  readonly headerFromCut?: boolean;
  readonly recipients: readonly string[];
}

export interface Decision {
  readonly action: Action;
  /** Index of the rule that decided, when one did. */
  readonly rule?: number;
  /** Why the allowlist passed it: "sender", "sender-domain", "recipients". */
  readonly allowlisted?: string;
}

/** The policy: findings, verdict and parties in, one action out. */
export function decide(verdict: Verdict, parties: MessageParties, policy: Policy = DEFAULT_POLICY): Decision {
  const allowed = allowlisted(parties, policy.allow);
  if (allowed) return { action: { kind: 'pass', reason: `allowlisted ${allowed}` }, allowlisted: allowed };
  let best: { rule: Rule; index: number; finding: Finding | undefined } | undefined;
  policy.rules.forEach((rule, index) => {
    const m = matches(rule, verdict);
    if (!m.matched) return;
    if (!best || STRENGTH[rule.action] > STRENGTH[best.rule.action]) best = { rule, index, finding: m.finding };
  });
  if (!best || best.rule.action === 'pass') return { action: { kind: 'pass' }, rule: best?.index };
  const reason = best.finding?.summary ?? `verdict ${verdict.verdict} (score ${verdict.score})`;
  const { rule, index, finding } = best;
  if (rule.action === 'reject' || rule.action === 'tempfail') {
    return { action: { kind: rule.action, reason, reply: rule.reply ?? defaultReply(rule.action, finding, verdict.verdict) }, rule: index };
  }
  return { action: { kind: rule.action, reason }, rule: index };
}

function matches(rule: Rule, verdict: Verdict): { matched: boolean; finding?: Finding } {
  if (rule.verdicts && !rule.verdicts.includes(verdict.verdict)) return { matched: false };
  if (rule.score !== undefined && verdict.score < rule.score) return { matched: false };
  const aboutFindings = rule.detector !== undefined || rule.codes !== undefined || rule.severity !== undefined || rule.brands !== undefined;
  // The finding that explains the decision: the worst one the rule is about.
  const candidates = verdict.findings.filter((f) => findingMatches(rule, f)).sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  if (aboutFindings && candidates.length === 0) return { matched: false };
  const worst = aboutFindings ? candidates[0] : [...verdict.findings].sort((a, b) => RANK[b.severity] - RANK[a.severity])[0];
  return { matched: true, finding: worst };
}

function findingMatches(rule: Rule, f: Finding): boolean {
  if (rule.detector !== undefined && f.detector !== rule.detector) return false;
  if (rule.codes !== undefined && !rule.codes.includes(f.code)) return false;
  if (rule.severity !== undefined && RANK[f.severity] < RANK[rule.severity]) return false;
  if (rule.brands !== undefined && !rule.brands.includes(String(f.evidence['brand'] ?? ''))) return false;
  return true;
}

/**
 * The sender allowlists judge the From header, the sender a reader sees: every address in
 * it must be listed, since `From: <x@evil.example>, <ceo@partner.example>` is not the
 * partner's mail (a client may show either one). The envelope sender stands in only for a
 * message whose From has no address.
 */
function allowlisted(p: MessageParties, allow: Allowlist): string | undefined {
  if (p.headerFromCut) return allowlistedRecipients(p, allow);
  const header = p.headerFrom.map((a) => a.toLowerCase()).filter((a) => a !== '');
  const senders = header.length > 0 ? header : [p.mailFrom.toLowerCase()].filter((a) => a !== '');
  const domainListed = (a: string) => {
    const d = a.slice(a.lastIndexOf('@') + 1);
    return allow.senderDomains.some((x) => d === x || d.endsWith(`.${x}`));
  };
  if (senders.length > 0 && senders.every((a) => allow.senders.has(a) || domainListed(a))) {
    return senders.every((a) => allow.senders.has(a)) ? 'sender' : 'sender-domain';
  }
  return allowlistedRecipients(p, allow);
}

function allowlistedRecipients(p: MessageParties, allow: Allowlist): string | undefined {
  if (allow.recipients.size > 0 && p.recipients.length > 0 && p.recipients.every((r) => allow.recipients.has(r.toLowerCase()))) return 'recipients';
  return undefined;
}

/**
 * Reject and tempfail texts go to the sending server and, in bounces, to the sender: short,
 * ASCII, and about the category, never the finding's own text (it may carry the attacker's
 * display name).
 */
function defaultReply(action: 'reject' | 'tempfail', finding: Finding | undefined, verdict: VerdictName): string {
  const what =
    finding?.detector === 'macro'
      ? 'Office documents with macros are not accepted'
      : finding?.detector === 'archive'
        ? 'Encrypted archives with documents are not accepted'
        : finding?.detector === 'brand'
          ? 'Message looks like brand impersonation'
          : verdict === 'unscannable' || finding?.detector === 'limits'
            ? 'Message could not be scanned'
            : 'Message refused by policy';
  return action === 'tempfail' ? `${what}, try again later` : what;
}
