import { describe, expect, it } from 'vitest';
import { readShortEdit, type ShortEditReading } from '../../../src/core/brand/short-edits.js';

describe('readShortEdit', () => {
  // [found, name, reading]: substitutions tell the next key on a QWERTY keyboard from any
  // other letter; swapped, doubled, slipped-in, added and dropped letters and hyphens.
  const cases: Array<[string, string, ShortEditReading | undefined]> = [
    ['aeom', 'aeon', { kind: 'slip', detail: 'n→m, the next key' }],
    ['aeun', 'aeon', { kind: 'other', detail: 'o→u' }],
    ['aoen', 'aeon', { kind: 'slip', detail: 'eo↔oe' }],
    ['aeeon', 'aeon', { kind: 'slip', detail: 'e doubled' }],
    ['aewon', 'aeon', { kind: 'slip', detail: 'w slipped in' }],
    ['aeonx', 'aeon', { kind: 'other', detail: 'x added' }],
    ['aon', 'aeon', { kind: 'slip', detail: 'e dropped' }],
    ['ae-on', 'aeon', { kind: 'slip', detail: 'a hyphen added' }],
    // The name itself, and anything more than one edit away.
    ['aeon', 'aeon', undefined],
    ['aemo', 'aeon', undefined],
    ['aeonxx', 'aeon', undefined],
    ['ae', 'aeon', undefined],
    ['oaen', 'aeon', undefined],
  ];
  it.each(cases)('%s from %s', (found, name, reading) => {
    expect(readShortEdit(found, name)).toEqual(reading);
  });
});
