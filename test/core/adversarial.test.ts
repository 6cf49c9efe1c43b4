import { describe, expect, it } from 'vitest';
import { inspect } from '../../src/core/inspect.js';
import type { Verdict } from '../../src/core/verdict.js';
import { adversarialFamilies, FAMILY_NAMES } from '../helpers/adversarial.js';
import { shippedChecker } from '../helpers/brand-mail.js';

/**
 * Issue 9 item 4, "linear time on any input": every hostile family goes through the whole
 * inspection with the shipped brand catalog and comes back with a verdict. How long that
 * takes is bench/adversarial-bench.mjs's business, never asserted here; the clock is frozen
 * so that the time budget cannot make a verdict depend on the machine.
 */

const SIZE = 1024 * 1024;
const FROZEN = { now: () => 0 };

/** What each family must be found to be, beyond having a well-formed verdict. */
const EXPECTED: Record<string, { verdict: Verdict['verdict']; codes?: readonly string[] }> = {
  // A phish link in front of the hostile HTML is still read.
  'html-unclosed-tags': { verdict: 'malicious', codes: ['brand/link-text-mismatch'] },
  'html-lt-run': { verdict: 'malicious', codes: ['brand/link-text-mismatch'] },
  'html-a-href-run': { verdict: 'malicious', codes: ['brand/link-text-mismatch'] },
  'html-nested': { verdict: 'malicious', codes: ['brand/link-text-mismatch'] },
  'html-entities': { verdict: 'malicious', codes: ['brand/link-text-mismatch'] },
  // A 256 KB href still resolves to its host, and its text shows amazon.co.jp.
  'html-huge-attribute': { verdict: 'malicious', codes: ['brand/link-text-mismatch'] },
  // The PPAP reading ran over the hostile text and the zip stayed closed.
  'text-password-phrasing': { verdict: 'malicious', codes: ['archive/encrypted-office-zip'] },
  'text-password-closers': { verdict: 'malicious', codes: ['archive/encrypted-office-zip'] },
  'html-password-table': { verdict: 'malicious', codes: ['archive/encrypted-office-zip'] },
  // Header blocks past mailsplit's 1 MB limit and too many parts are limits, never "clean".
  'header-fields': { verdict: 'unscannable', codes: ['limits/corrupt-mime'] },
  'header-from-many': { verdict: 'unscannable', codes: ['limits/corrupt-mime'] },
  'subject-encoded-words': { verdict: 'unscannable', codes: ['limits/corrupt-mime'] },
  'mime-many-parts': { verdict: 'unscannable', codes: ['limits/parts'] },
};

describe('adversarial messages (1 MB each)', () => {
  const families = adversarialFamilies(SIZE);

  it('cover every family the generator has, each a message of about the size asked', () => {
    expect(families.map((f) => f.family)).toEqual([...FAMILY_NAMES]);
    for (const { family, message } of families) {
      expect(message.length, family).toBeGreaterThan(SIZE / 2);
      expect(message.length, family).toBeLessThan(SIZE * 2);
      expect(message.includes('\r\n\r\n'), family).toBe(true);
    }
  });

  for (const { family, message } of families) {
    it(`${family}: gets a verdict`, async () => {
      const verdict = await inspect({ mailFrom: 'bounce@sender.example', rcptTo: ['user@example.net'] }, message, { brands: shippedChecker(), ...FROZEN });
      expect(['clean', 'suspicious', 'malicious', 'unscannable']).toContain(verdict.verdict);
      expect(verdict.score).toBeGreaterThanOrEqual(0);
      expect(verdict.score).toBeLessThanOrEqual(100);
      for (const f of verdict.findings) {
        expect(['macro', 'archive', 'limits', 'brand']).toContain(f.detector);
        expect(['info', 'low', 'medium', 'high']).toContain(f.severity);
        expect(f.code).toMatch(/^[a-z0-9-]+$/);
        expect(f.summary.length).toBeGreaterThan(0);
        expect(typeof f.evidence).toBe('object');
      }
      const codes = verdict.findings.map((f) => `${f.detector}/${f.code}`);
      // A crash inside a detector is an analysis-error finding: none of these may cause one.
      expect(codes).not.toContain('limits/analysis-error');
      const expected = EXPECTED[family];
      if (expected === undefined) {
        // Hostile but harmless: nothing to find, and nothing left unread.
        expect(verdict.verdict, codes.join(', ')).toBe('clean');
      } else {
        expect(verdict.verdict, codes.join(', ')).toBe(expected.verdict);
        for (const code of expected.codes ?? []) expect(codes).toContain(code);
      }
    });
  }
});
