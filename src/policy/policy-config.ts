import type { Config } from '../config/schema.js';
import type { VerdictName } from '../core/verdict.js';
import type { TagSettings } from '../edit/tag-settings.js';
import { DEFAULT_RULES, type Policy, type Rule } from './decide.js';

export type { TagSettings };

/** The policy and tag settings of a configuration, compiled once at start-up and reload. */
export function policyFromConfig(config: Config): { policy: Policy; tag: TagSettings } {
  const p = config.policy;
  const rules: readonly Rule[] = p.rules
    ? p.rules.map((r) => ({
        detector: r.detector,
        codes: r.code,
        severity: r.severity,
        brands: r.brand,
        verdicts: r.verdict,
        score: r.score,
        action: r.action,
        reply: r.reply,
      }))
    : DEFAULT_RULES;
  const sp = p.tag.subject_prefix;
  const fallback = '[SUSPICIOUS] ';
  const prefixes: Record<VerdictName, string> =
    typeof sp === 'string'
      ? { clean: sp, suspicious: sp, malicious: sp, unscannable: sp }
      : { clean: sp.suspicious ?? fallback, suspicious: sp.suspicious ?? fallback, malicious: sp.malicious ?? sp.suspicious ?? fallback, unscannable: sp.unscannable ?? sp.suspicious ?? fallback };
  return {
    policy: {
      rules,
      allow: { senders: new Set(p.allow.senders), senderDomains: p.allow.sender_domains, recipients: new Set(p.allow.recipients) },
    },
    tag: { mode: p.tag.mode, prefixes, known: [...new Set([...Object.values(prefixes), ...p.tag.strip_prefixes, fallback])].filter((x) => x.trim() !== '') },
  };
}
