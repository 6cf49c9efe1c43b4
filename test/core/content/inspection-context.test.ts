import { describe, expect, it } from 'vitest';
import { InspectionContext } from '../../../src/core/content/inspection-context.js';
import { Budget, DEFAULT_LIMITS } from '../../../src/core/limits.js';

describe('InspectionContext passwords', () => {
  const ctx = (max: number) => new InspectionContext(new Budget(DEFAULT_LIMITS, () => 0), max);
  const configured = (...ps: string[]) => ps.map((password) => ({ password, source: 'configured' as const }));
  const mail = (...ps: string[]) => ps.map((password) => ({ password, source: 'mail' as const }));

  it('mail-stated passwords go ahead of configured ones, duplicates once', () => {
    const c = ctx(10);
    c.offerPasswords(configured('a', 'b'));
    c.offerPasswords(mail('m', 'a'));
    expect(c.passwords.map((p) => p.password)).toEqual(['m', 'a', 'b']);
    expect(c.statedPasswords).toEqual(['m', 'a']);
  });

  it('at the limit a mail-stated password pushes out the last configured one', () => {
    const c = ctx(3);
    c.offerPasswords(configured('a', 'b', 'c'));
    c.offerPasswords(mail('m'));
    expect(c.passwords.map((p) => p.password)).toEqual(['m', 'a', 'b']);
    c.offerPasswords(configured('d'));
    expect(c.passwords).toHaveLength(3);
  });

  it('stated passwords read later (offerPasswordsLater) are stated too', () => {
    const c = ctx(2);
    c.offerPasswords(configured('a', 'b'));
    c.offerPasswordsLater(() => mail('x', 'y', 'z'));
    expect(c.statedPasswords).toEqual(['x', 'y', 'z']);
    expect(c.passwords.map((p) => p.password)).toEqual(['x', 'y']);
  });
});
