import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../src/core/inspect.js';
import type { Verdict } from '../../src/core/verdict.js';
import { attachmentOf, mailOf, zipOf, type NamedFile } from '../helpers/wrappings.js';

/**
 * Every labelled Office file and mail attachment of the corpus (test/fixtures/
 * office-labels.tsv), in every wrapping an attacker uses: attached as it is, zipped,
 * zip-in-zip, and in a password zip whose password the (Japanese, ISO-2022-JP) body states.
 * vba or xlm True → a `macro` finding; False → none; "?" (encrypted with an unknown
 * password) → an encrypted-document finding instead.
 */
const FIXTURES = path.resolve(__dirname, '../fixtures');

interface Row {
  readonly path: string;
  readonly macro: boolean | undefined;
  /** Password of a zip that is itself the labelled file (notes: zip-pw=…). */
  readonly zipPassword?: string;
}

const rows: Row[] = readFileSync(path.join(FIXTURES, 'office-labels.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [p = '', , , , vba = '', xlm = '', , note = ''] = line.split('\t');
    const macro = vba === '?' || xlm === '?' ? undefined : vba === 'True' || xlm === 'True';
    return { path: p, macro, zipPassword: /zip-pw=([^;]+)/.exec(note)?.[1] };
  });

function labelled(row: Row): NamedFile {
  const [file = '', member] = row.path.split('#');
  const bytes = readFileSync(path.join(FIXTURES, file));
  return member ? { name: member, bytes: attachmentOf(bytes, member) } : { name: path.basename(file), bytes };
}

const OUTER_PASSWORD = 'Kz8-pQ7x';

function wrappings(row: Row): Array<[string, Buffer]> {
  const file = labelled(row);
  // The mail states every password needed, in Japanese, the way PPAP notices do.
  const inner = row.zipPassword ? `\n別送のパスワード：${row.zipPassword}` : '';
  const body = (outer?: string) => `いつもお世話になっております。\n請求書をお送りします。${outer ? `\n添付ファイルのパスワードは「${outer}」です。` : ''}${inner}\n`;
  const wrapped: Array<[string, Buffer]> = [
    ['attached as it is', mailOf({ body: body(), attachments: [file] })],
    ['zipped', mailOf({ body: body(), attachments: [{ name: '請求書.zip', bytes: zipOf([file]) }] })],
    ['zip-in-zip', mailOf({ body: body(), attachments: [{ name: '請求書.zip', bytes: zipOf([{ name: '内側.zip', bytes: zipOf([file]) }]) }] })],
    ['in a password zip stated in the body', mailOf({ body: body(OUTER_PASSWORD), attachments: [{ name: '請求書.zip', bytes: zipOf([file], OUTER_PASSWORD) }] })],
  ];
  if (row.path.includes('.eml#')) wrapped.unshift(['the labelled mail as it is', readFileSync(path.join(FIXTURES, row.path.split('#')[0] ?? ''))]);
  return wrapped;
}

function describeVerdict(v: Verdict): string {
  return v.findings.map((f) => `${f.detector}/${f.code} ${f.summary}`).join('\n');
}

describe('every labelled Office file, in every wrapping', () => {
  it('reads the labels', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50);
    expect(rows.filter((r) => r.macro === true).length).toBeGreaterThanOrEqual(15);
  });

  const cases = rows.flatMap((row) => wrappings(row).map(([how, mail]) => ({ name: `${row.path} — ${how}`, row, mail })));

  it.each(cases)('$name', async ({ row, mail }) => {
    const verdict = await inspect({ mailFrom: 'billing@example.com', rcptTo: ['user@example.net'] }, mail);
    const macro = verdict.findings.filter((f) => f.detector === 'macro');
    if (row.macro === true) expect(macro.length, describeVerdict(verdict)).toBeGreaterThan(0);
    else if (row.macro === false) expect(macro, describeVerdict(verdict)).toEqual([]);
    else expect(verdict.findings.some((f) => f.detector === 'archive' && f.code === 'encrypted-document'), describeVerdict(verdict)).toBe(true);
    // Nothing may have been skipped for a limit or a parse error.
    expect(verdict.findings.filter((f) => f.detector === 'limits'), describeVerdict(verdict)).toEqual([]);
  });
});

describe('zippwmacro.eml (the SpamAssassin PPAP sample)', () => {
  it('is opened with the password "sa" from its own body and the .xlsm inside is reported', async () => {
    const mail = readFileSync(path.join(FIXTURES, 'mail-spamassassin/olevbmacro/zippwmacro.eml'));
    const verdict = await inspect({ mailFrom: '', rcptTo: [] }, mail);
    const opened = verdict.findings.find((f) => f.detector === 'archive' && f.code === 'encrypted-zip-opened');
    expect(opened?.evidence).toMatchObject({ part: '2/macro.zip', password_source: 'mail' });
    const macro = verdict.findings.find((f) => f.detector === 'macro');
    expect(macro?.evidence).toMatchObject({ part: '2/macro.zip/macro.xlsm', inner: 'xl/vbaProject.bin' });
    expect(verdict.verdict).not.toBe('clean');
  });
});
