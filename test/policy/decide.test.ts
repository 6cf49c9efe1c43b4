import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../src/core/scoring.js';
import type { Finding } from '../../src/core/verdict.js';
import { decide } from '../../src/policy/decide.js';

const f = (detector: Finding['detector'], code: string, severity: Finding['severity']): Finding => ({ detector, code, severity, summary: `${detector}/${code}`, evidence: { part: '2' } });

describe('verdict and default policy', () => {
  it('clean mail passes', () => {
    const v = verdictOf([]);
    expect(v).toMatchObject({ verdict: 'clean', score: 0 });
    expect(decide(v).kind).toBe('pass');
  });

  it('a macro is quarantined, whatever its severity', () => {
    expect(decide(verdictOf([f('macro', 'vba', 'medium')])).kind).toBe('quarantine');
    expect(verdictOf([f('macro', 'vba', 'high')]).verdict).toBe('malicious');
    expect(verdictOf([f('macro', 'vba', 'medium')]).verdict).toBe('suspicious');
  });

  it('anything not inspected makes the message unscannable and is quarantined, never passed', () => {
    const v = verdictOf([f('limits', 'ratio', 'medium')]);
    expect(v.verdict).toBe('unscannable');
    expect(decide(v).kind).toBe('quarantine');
    // …unless something malicious was found already: that says more.
    expect(verdictOf([f('limits', 'ratio', 'medium'), f('macro', 'xlm', 'high')]).verdict).toBe('malicious');
  });

  it('a closed password zip with Office files is quarantined; other findings are tagged', () => {
    expect(decide(verdictOf([f('archive', 'encrypted-office-zip', 'high')])).kind).toBe('quarantine');
    expect(decide(verdictOf([f('archive', 'encrypted-zip', 'medium')])).kind).toBe('tag');
    expect(decide(verdictOf([f('archive', 'encrypted-zip-opened', 'info')])).kind).toBe('pass');
  });

  it('a certain brand impersonation is quarantined, a suspicious one tagged, a low note passes', () => {
    const high = verdictOf([f('brand', 'display-name', 'high'), f('brand', 'lure', 'medium')]);
    expect(high.verdict).toBe('malicious');
    expect(decide(high)).toEqual({ kind: 'quarantine', reason: 'brand/display-name' });
    expect(decide(verdictOf([f('brand', 'lure', 'medium')]))).toEqual({ kind: 'tag', reason: 'brand/lure' });
    const low = verdictOf([f('brand', 'hidden-destination', 'low')]);
    expect(low.verdict).toBe('clean');
    expect(decide(low).kind).toBe('pass');
  });

  it('the score adds up and is capped at 100', () => {
    expect(verdictOf([f('archive', 'encrypted-zip', 'medium'), f('archive', 'encrypted-document', 'medium')]).score).toBe(80);
    expect(verdictOf([f('macro', 'vba', 'high'), f('macro', 'xlm', 'high')]).score).toBe(100);
  });
});
