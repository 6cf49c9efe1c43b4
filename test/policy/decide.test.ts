import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { verdictOf } from '../../src/core/scoring.js';
import type { Finding } from '../../src/core/verdict.js';
import { decide, type MessageParties } from '../../src/policy/decide.js';
import { policyFromConfig } from '../../src/policy/policy-config.js';

const f = (detector: Finding['detector'], code: string, severity: Finding['severity'], evidence: Finding['evidence'] = { part: '2' }): Finding => ({
  detector,
  code,
  severity,
  summary: `${detector}/${code}`,
  evidence,
});
const nobody: MessageParties = { mailFrom: 'a@sender.example', headerFrom: ['a@sender.example'], recipients: ['u@example.net'] };
const act = (findings: Finding[], parties = nobody, policy?: ReturnType<typeof policyFromConfig>['policy']) => decide(verdictOf(findings), parties, policy).action;
const configured = (policy: Record<string, unknown>) => policyFromConfig(validateConfig('t.yaml', { smtp: { listen: '127.0.0.1:0', upstream: 'outbox:/tmp/x' }, policy }).config);

describe('verdict and default policy', () => {
  it('clean mail passes', () => {
    const v = verdictOf([]);
    expect(v).toMatchObject({ verdict: 'clean', score: 0 });
    expect(act([])).toEqual({ kind: 'pass' });
  });

  it('a macro is quarantined, medium or high; a low macro finding is evidence and passes', () => {
    expect(act([f('macro', 'vba', 'medium')])).toEqual({ kind: 'quarantine', reason: 'macro/vba' });
    expect(act([f('macro', 'remote-template', 'high')])).toEqual({ kind: 'quarantine', reason: 'macro/remote-template' });
    // A template on the company's file server, a chart's source workbook: low evidence only.
    expect(act([f('macro', 'remote-template', 'low')])).toEqual({ kind: 'pass' });
    expect(verdictOf([f('macro', 'remote-object', 'low')]).verdict).toBe('clean');
    expect(verdictOf([f('macro', 'vba', 'high')]).verdict).toBe('malicious');
    expect(verdictOf([f('macro', 'vba', 'medium')]).verdict).toBe('suspicious');
  });

  it('anything not inspected makes the message unscannable and is quarantined, never passed', () => {
    const v = verdictOf([f('limits', 'ratio', 'medium')]);
    expect(v.verdict).toBe('unscannable');
    expect(decide(v, nobody).action.kind).toBe('quarantine');
    // …unless something malicious was found already: that says more.
    expect(verdictOf([f('limits', 'ratio', 'medium'), f('macro', 'xlm', 'high')]).verdict).toBe('malicious');
  });

  it('a closed password zip with Office files awaits its password (PPAP); other findings are tagged', () => {
    expect(act([f('archive', 'encrypted-office-zip', 'high')]).kind).toBe('await-password');
    // Anything stronger found beside it still wins: a brand impersonation is quarantined outright.
    expect(act([f('archive', 'encrypted-office-zip', 'high'), f('brand', 'display-name', 'high')]).kind).toBe('quarantine');
    expect(act([f('archive', 'encrypted-zip', 'medium')]).kind).toBe('tag');
    expect(act([f('archive', 'encrypted-zip-opened', 'info')]).kind).toBe('pass');
  });

  it('a certain brand impersonation is quarantined, a suspicious one tagged, a low note passes', () => {
    const high = verdictOf([f('brand', 'lure', 'medium'), f('brand', 'display-name', 'high')]);
    expect(high.verdict).toBe('malicious');
    // The reason is the finding that decided: the worst one the winning rule is about.
    expect(decide(high, nobody)).toEqual({ action: { kind: 'quarantine', reason: 'brand/display-name' }, rule: 2 });
    expect(act([f('brand', 'lure', 'medium')])).toEqual({ kind: 'tag', reason: 'brand/lure' });
    const low = verdictOf([f('brand', 'hidden-destination', 'low')]);
    expect(low.verdict).toBe('clean');
    expect(decide(low, nobody).action.kind).toBe('pass');
  });

  it('the score adds up and is capped at 100', () => {
    expect(verdictOf([f('archive', 'encrypted-zip', 'medium'), f('archive', 'encrypted-document', 'medium')]).score).toBe(80);
    expect(verdictOf([f('macro', 'vba', 'high'), f('macro', 'xlm', 'high')]).score).toBe(100);
  });
});

describe('configured policy', () => {
  it('the strongest action of all matching rules wins, whatever their order', () => {
    const { policy } = configured({
      rules: [
        { verdict: ['suspicious', 'malicious'], action: 'tag' },
        { detector: 'brand', brand: 'example-corp', action: 'reject', reply: 'Not from us' },
        { detector: 'macro', action: 'tempfail' },
        { score: 80, action: 'quarantine' },
      ],
    });
    expect(act([f('brand', 'display-name', 'medium', { brand: 'example-corp' })], nobody, policy)).toEqual({ kind: 'reject', reason: 'brand/display-name', reply: 'Not from us' });
    expect(act([f('brand', 'display-name', 'medium', { brand: 'apple' })], nobody, policy).kind).toBe('tag');
    expect(act([f('macro', 'vba', 'medium')], nobody, policy)).toEqual({ kind: 'tempfail', reason: 'macro/vba', reply: 'Office documents with macros are not accepted, try again later' });
    // Score 100 also matches the quarantine rule, stronger than tempfail.
    expect(act([f('macro', 'vba', 'high')], nobody, policy).kind).toBe('quarantine');
  });

  it('codes and severities narrow a rule to the findings it is about', () => {
    const { policy } = configured({ rules: [{ detector: 'archive', code: ['encrypted-zip', 'encrypted-document'], severity: 'medium', action: 'reject' }] });
    expect(act([f('archive', 'encrypted-zip', 'medium')], nobody, policy)).toEqual({ kind: 'reject', reason: 'archive/encrypted-zip', reply: 'Encrypted archives with documents are not accepted' });
    expect(act([f('archive', 'encrypted-zip-opened', 'info')], nobody, policy).kind).toBe('pass');
    expect(act([f('archive', 'encrypted-document', 'low')], nobody, policy).kind).toBe('pass');
  });

  it('allowlisted senders, sender domains and recipients pass whatever the findings', () => {
    const { policy } = configured({ allow: { senders: ['Boss@Partner.example'], sender_domains: ['trusted.example'], recipients: ['abuse@example.net'] } });
    const macro = [f('macro', 'vba', 'high')];
    expect(act(macro, { mailFrom: 'boss@partner.example', headerFrom: [], recipients: ['u@example.net'] }, policy)).toEqual({ kind: 'pass', reason: 'allowlisted sender' });
    expect(act(macro, { mailFrom: '', headerFrom: ['x@mail.trusted.example'], recipients: ['u@example.net'] }, policy)).toEqual({ kind: 'pass', reason: 'allowlisted sender-domain' });
    expect(act(macro, { mailFrom: 'x@nottrusted.example', headerFrom: [], recipients: ['abuse@example.net'] }, policy)).toEqual({ kind: 'pass', reason: 'allowlisted recipients' });
    // One recipient not on the list: the message has one fate, and it is the policy's.
    expect(act(macro, { mailFrom: 'x@other.example', headerFrom: [], recipients: ['abuse@example.net', 'u@example.net'] }, policy).kind).toBe('quarantine');
  });

  it('the sender allowlists judge every From address; the envelope only when the From has none', () => {
    const { policy } = configured({ allow: { senders: ['boss@partner.example'], sender_domains: ['trusted.example'] } });
    const macro = [f('macro', 'vba', 'high')];
    const to = ['u@example.net'];
    // A listed address beside another in From is not the partner's mail: a client may show either.
    expect(act(macro, { mailFrom: '', headerFrom: ['x@evil.example', 'boss@partner.example'], recipients: to }, policy).kind).toBe('quarantine');
    expect(act(macro, { mailFrom: '', headerFrom: ['a@trusted.example', 'x@evil.example'], recipients: to }, policy).kind).toBe('quarantine');
    // A forged envelope sender does not vouch for the From a reader sees.
    expect(act(macro, { mailFrom: 'boss@partner.example', headerFrom: ['ceo@evil.example'], recipients: to }, policy).kind).toBe('quarantine');
    // Listed addresses and domains together are the allowlist's.
    expect(act(macro, { mailFrom: 'bounce@esp.example', headerFrom: ['boss@partner.example', 'a@mail.trusted.example'], recipients: to }, policy)).toEqual({ kind: 'pass', reason: 'allowlisted sender-domain' });
    expect(act(macro, { mailFrom: 'bounce@esp.example', headerFrom: ['Boss@Partner.example'], recipients: to }, policy)).toEqual({ kind: 'pass', reason: 'allowlisted sender' });
    // From held more addresses than were read (HeaderFacts.fromCut): an unlisted one may be among the rest.
    expect(act(macro, { mailFrom: 'boss@partner.example', headerFrom: ['boss@partner.example'], headerFromCut: true, recipients: to }, policy).kind).toBe('quarantine');
  });

  it('tag settings: one prefix or one per verdict, every known tag stripped', () => {
    expect(configured({}).tag).toEqual({ mode: 'subject', prefixes: { clean: '[SUSPICIOUS] ', suspicious: '[SUSPICIOUS] ', malicious: '[SUSPICIOUS] ', unscannable: '[SUSPICIOUS] ' }, known: ['[SUSPICIOUS] '] });
    const t = configured({ tag: { mode: 'header-only', subject_prefix: { suspicious: '【注意】', malicious: '【危険】' }, strip_prefixes: ['[SPAM] '] } }).tag;
    expect(t.mode).toBe('header-only');
    expect(t.prefixes).toEqual({ clean: '【注意】', suspicious: '【注意】', malicious: '【危険】', unscannable: '【注意】' });
    expect(t.known).toEqual(['【注意】', '【危険】', '[SPAM] ', '[SUSPICIOUS] ']);
  });

  it('bad rules name the key', () => {
    expect(() => configured({ rules: [{ detector: 'virus', action: 'tag' }] })).toThrow(/policy\.rules\[0\]\.detector: expected one of "macro", "archive", "limits", "brand"/);
    expect(() => configured({ rules: [{ action: 'reject', reply: 'ダメ' }] })).toThrow(/policy\.rules\[0\]\.reply: printable ASCII/);
    expect(() => configured({ rules: [{ action: 'discard' }] })).toThrow(/policy\.rules\[0\]\.action/);
  });
});
