import { describe, expect, it } from 'vitest';
import { readShortEdit, type ShortEditReading } from '../../../src/core/brand/short-edits.js';

describe('readShortEdit', () => {
  // [found, name, reading]: substitutions tell the next key on a QWERTY keyboard from any
  // other letter; swapped, doubled, slipped-in, added and dropped letters, digits and hyphens.
  const cases: Array<[string, string, ShortEditReading | undefined]> = [
    ['aeom', 'aeon', { kind: 'slip', detail: 'n→m, the next key' }],
    ['aeun', 'aeon', { kind: 'other', detail: 'o→u' }],
    ['aoen', 'aeon', { kind: 'slip', detail: 'eo↔oe' }],
    ['aeeon', 'aeon', { kind: 'doubled', detail: 'e doubled' }],
    ['aeon1', 'aeon', { kind: 'digit', detail: '1 added' }],
    ['ae4n', 'aeon', { kind: 'digit', detail: 'o→4' }],
    // A digit changed in a name that has digits is any other edit: r10 → r20.
    ['r30', 'r10', { kind: 'other', detail: '1→3' }],
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
