import { describe, expect, it } from 'vitest';
import { loadConfusables } from '../../../src/brand/load-confusables.js';
import { BrandIndex } from '../../../src/core/brand/brand-index.js';
import { NameMatcher } from '../../../src/core/brand/brand-names.js';
import { shownReadings, withoutInvisible } from '../../../src/core/brand/shown-name.js';
import { brand } from '../../helpers/brand-mail.js';

const confusables = loadConfusables();
const names = new NameMatcher(
  new BrandIndex(
    [
      brand('apple', ['Apple', 'Apple ID'], ['apple.com']),
      brand('paypal', ['PayPal'], ['paypal.com']),
      brand('amazon', ['Amazon'], ['amazon.co.jp']),
      brand('smbc-card', ['三井住友カード'], ['smbc-card.com']),
    ],
    confusables,
  ),
  false,
);
const shown = (text: string) => names.findShown(text).map((n) => n.brand);

describe('a display name as a person reads it', () => {
  it('without the characters that show nothing: zero-width, joiners, BOM, soft hyphen, bidi controls', () => {
    for (const text of ['Ap\u200Bple', 'Pay\u200CPal', 'Ama\u200Dzon', 'App\u2060le', '\uFEFFApple', 'Ama\u00ADzon', '\u202AApple\u202C', '\u2066Amazon\u2069', 'Pay\u200EPal\u200F']) {
      expect(shown(text), JSON.stringify(text)).toHaveLength(1);
    }
    expect(withoutInvisible('\u202EelppA\u202C')).toBe('elppA');
  });

  it('with a right-to-left override read backwards, as it is displayed', () => {
    expect(shownReadings('\u202EelppA\u202C Support', confusables)).toContain('Apple Support');
    expect(shown('\u202EelppA')).toEqual(['apple']);
  });

  it('after NFKC: full-width, half-width and circled letters', () => {
    expect(shown('Ａｐｐｌｅ')).toEqual(['apple']);
    expect(shown('Ⓐⓟⓟⓛⓔ')).toEqual(['apple']);
  });

  it('with emoji and symbol decorations read as a blank and as nothing', () => {
    expect(shownReadings('Amazon🛒Support', confusables)).toEqual(expect.arrayContaining(['Amazon Support', 'AmazonSupport']));
    for (const text of ['PayPal ❗❗', '🍎Apple🍎', 'Apple™ Support', 'Amazon🛒Support', 'Pay💳Pal', '★Amazon★', '三井住友⭐カード', '⚠️三井住友カード⚠️']) {
      expect(shown(text), text).toHaveLength(1);
    }
  });

  it.each([
    ['Аpple', 'apple', 'Cyrillic А'],
    ['ΡayΡal', 'paypal', 'Greek Ρ'],
    ['Àpple', 'apple', 'an accent'],
    ['🅰pple', 'apple', 'a negative squared letter'],
    ['🇦pple', 'apple', 'a regional indicator'],
    ['Amaz0n', 'amazon', 'a zero in a word'],
    ['App1e ID', 'apple', 'a one in a word'],
  ])('reads %s as %s: %s passes for a Latin letter', (text, id) => {
    expect(shown(text)).toEqual([id]);
  });

  it('leaves ordinary names alone: digits alone, Japanese, lower-case words', () => {
    expect(shownReadings('Room 101', confusables)).toEqual(['Room 101']);
    expect(shownReadings('山田 太郎', confusables)).toEqual(['山田 太郎']);
    expect(shown('apple pie')).toEqual([]);
    expect(shown('Вера Павлова')).toEqual([]);
  });

  it('is linear in the text', () => {
    const text = '\u202EА🍎1a\u200B'.repeat(2000);
    const start = performance.now();
    names.findShown(text);
    expect(performance.now() - start).toBeLessThan(500);
  });
});
