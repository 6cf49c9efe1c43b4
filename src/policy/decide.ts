import type { Verdict } from '../core/verdict.js';

/**
 * What happens to a message. The policy is the only place that picks one; the ingress
 * maps it to its wire (SMTP reply or milter packets) in one place each.
 */
export type Action =
  | { readonly kind: 'pass' }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'tempfail'; readonly reason: string };

export type ActionKind = Action['kind'];

/**
 * The policy. Admin-configurable rules (tag, quarantine, allowlists) come with the policy
 * issue; until then the rule is the one that can never lose mail: a clean message passes,
 * anything else is refused with a tempfail so the sender keeps it.
 */
export function decide(verdict: Verdict): Action {
  if (verdict.verdict === 'clean') return { kind: 'pass' };
  return { kind: 'tempfail', reason: `message is ${verdict.verdict}; held back until a policy is configured` };
}
