import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../src/core/inspect.js';
import { analyzeOle } from '../../src/core/ole/ole-analysis.js';
import { Unscannable } from '../../src/core/limits.js';
import { prng } from '../helpers/prng.js';
import { mailOf } from '../helpers/wrappings.js';

/**
 * Mutation fuzzing of the zip, OLE and MIME walkers with real files as seeds: flipped
 * bytes, truncations, duplicated and zeroed ranges. Whatever the damage, inspect() returns
 * a verdict (no exception escapes) and the OLE parser either answers or says
 * Unscannable. A seeded generator makes every failure reproducible.
 */
const F = path.resolve(__dirname, '../fixtures');
const seeds = {
  ole: ['office-oletools/olevba/sample_with_vba.ppt', 'office-oletools/excel4-macros/excel4_sample_macro.xls', 'office-oletools/encrypted/encrypted.docx', 'office-oletools/msodde/harmless-clean.doc'],
  zip: ['office-oletools/msodde/dde-test.xlsm', 'office-oletools/excel4-macros/excel4_sample_macro.xlsb', 'office-oletools/msodde/dde-in-word2007.xml.zip'],
  mail: ['mail-spamassassin/olevbmacro/zippwmacro.eml', 'mail-spamassassin/olevbmacro/macro.eml', 'mail-ruby/mime_emails/raw_email_with_nested_attachment.eml', 'mail-ruby/multi_charset/japanese_shift_jis.eml'],
};


export function mutate(input: Buffer, random: () => number): Buffer {
  const out = Buffer.from(input);
  const pick = (n: number) => Math.floor(random() * n);
  switch (pick(5)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + pick(16); i < n; i++) out[pick(out.length)] = pick(256);
      return out;
    case 1: // truncate
      return out.subarray(0, pick(out.length));
    case 2: {
      // zero a range
      const at = pick(out.length);
      out.fill(0, at, Math.min(out.length, at + pick(512)));
      return out;
    }
    case 3: {
      // duplicate a range somewhere else
      const from = pick(out.length);
      const len = pick(Math.min(4096, out.length - from));
      return Buffer.concat([out.subarray(0, pick(out.length)), out.subarray(from, from + len), out.subarray(pick(out.length))]);
    }
    default: // 0xFF a range (FAT "free"/"end of chain" markers in OLE, huge sizes in zip)
      {
        const at = pick(out.length);
        out.fill(0xff, at, Math.min(out.length, at + pick(64)));
        return out;
      }
  }
}

const load = (p: string) => readFileSync(path.join(F, p));

describe('fuzzing: no exception escapes', () => {
  it('the OLE parser answers or says Unscannable, for 3,000 mutated OLE files', () => {
    const random = prng(0x5eb15b0);
    let unscannable = 0;
    for (let i = 0; i < 3000; i++) {
      const seed = load(seeds.ole[i % seeds.ole.length] ?? '');
      const bytes = mutate(seed, random);
      try {
        // Password tries (~125 ms each on agile encryption) only on every 50th file: the
        // decryption path is fuzzed too, the parsers get the numbers.
        analyzeOle(bytes, { passwords: [], maxPasswordTries: i % 50 === 0 ? 1 : 0 });
      } catch (err) {
        if (!(err instanceof Unscannable)) throw new Error(`mutation ${i} of ${seeds.ole[i % seeds.ole.length]}: ${String(err)}`);
        unscannable++;
      }
    }
    // The mutations do damage: many files must be refused as corrupt.
    expect(unscannable).toBeGreaterThan(300);
  });

  it.each([
    ['zip', seeds.zip, 0x21b],
    ['mail', seeds.mail, 0x3a1],
    ['ole', seeds.ole, 0x0e1],
  ] as const)('inspect() returns a verdict for 150 mutated %s files', async (kind, files, seed) => {
    const random = prng(seed);
    const verdicts = new Set<string>();
    for (let i = 0; i < 150; i++) {
      const file = files[i % files.length] ?? '';
      const bytes = mutate(load(file), random);
      const message = kind === 'mail' ? bytes : mailOf({ body: 'パスワード：sa', attachments: [{ name: path.basename(file), bytes }] });
      const verdict = await inspect({ mailFrom: '', rcptTo: [] }, message, { limits: { maxDocumentPasswordTries: i % 10 === 0 ? 2 : 0 } });
      expect(['clean', 'suspicious', 'malicious', 'unscannable']).toContain(verdict.verdict);
      verdicts.add(verdict.verdict);
    }
    expect(verdicts.size).toBeGreaterThan(1);
  });
});
