/**
 * Scan benchmark (not a test): `npm run bench` runs it after the relay benchmark.
 *
 * 1. Throughput of inspect() over the corpus: every labelled Office file in every wrapping
 *    (as in test/core/office-labels.test.ts) plus the mail corpus, MB/s and messages/s.
 * 2. A 25 MB message with a zipped .xlsm: time and peak RSS, in a fresh process.
 * 3. The same wrapped files through ClamAV's heuristics (clamscan --alert-macros=yes
 *    --alert-encrypted=yes, a one-line dummy signature database): detections and time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { inspect } from '../src/core/inspect.js';
import { analyzeOle } from '../src/core/ole/ole-analysis.js';
import { requireTool } from '../test/helpers/tools.js';
import { attachmentOf, mailOf, zipOf, type NamedFile } from '../test/helpers/wrappings.js';

const FIXTURES = path.resolve(__dirname, '../test/fixtures');
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const work = mkdtempSync(path.join(os.tmpdir(), 'sekisho-scan-bench-'));

interface Sample {
  readonly file: string;
  readonly row: string;
  readonly wrapping: string;
  /** true: labelled macro; false: labelled macro-free; undefined: not labelled or "?". */
  readonly macro: boolean | undefined;
  /** An encrypted Office document is in it: each password try costs ~150 ms by design. */
  readonly encryptedOffice: boolean;
}

function buildSamples(): Sample[] {
  const samples: Sample[] = [];
  const lines = readFileSync(path.join(FIXTURES, 'office-labels.tsv'), 'utf8').trim().split('\n').slice(1);
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(work, `${samples.length}-${name}.eml`);
    writeFileSync(file, bytes);
    return file;
  };
  for (const line of lines) {
    const [row = '', , , container = '', vba = '', xlm = '', officeEncryption = '', note = ''] = line.split('\t');
    const encryptedOffice = container === 'OLE-encrypted' || officeEncryption !== '' || /encrypted/.test(row);
    const macro = vba === '?' || xlm === '?' ? undefined : vba === 'True' || xlm === 'True';
    const [rel = '', member] = row.split('#');
    const raw = readFileSync(path.join(FIXTURES, rel));
    const file: NamedFile = member ? { name: member, bytes: attachmentOf(raw, member) } : { name: path.basename(rel), bytes: raw };
    const inner = /zip-pw=([^;]+)/.exec(note)?.[1];
    const body = (outer?: string) => `請求書をお送りします。${outer ? `\n添付ファイルのパスワードは「${outer}」です。` : ''}${inner ? `\n別送のパスワード：${inner}` : ''}`;
    const wrapped: Array<[string, Buffer]> = [
      ['as it is', mailOf({ body: body(), attachments: [file] })],
      ['zipped', mailOf({ body: body(), attachments: [{ name: 'a.zip', bytes: zipOf([file]) }] })],
      ['zip-in-zip', mailOf({ body: body(), attachments: [{ name: 'a.zip', bytes: zipOf([{ name: 'b.zip', bytes: zipOf([file]) }]) }] })],
      ['password zip', mailOf({ body: body('Kz8-pQ7x'), attachments: [{ name: 'a.zip', bytes: zipOf([file], 'Kz8-pQ7x') }] })],
    ];
    if (member) wrapped.push(['labelled mail', raw]);
    for (const [how, bytes] of wrapped) samples.push({ file: write(how.replace(/ /g, '-'), bytes), row, wrapping: how, macro, encryptedOffice });
  }
  for (const dir of ['mail-ruby/error_emails', 'mail-ruby/mime_emails', 'mail-ruby/multi_charset']) {
    for (const name of readdirSync(path.join(FIXTURES, dir))) {
      samples.push({ file: write(name, readFileSync(path.join(FIXTURES, dir, name))), row: `${dir}/${name}`, wrapping: 'mail corpus', macro: false, encryptedOffice: false });
    }
  }
  return samples;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
const pct = (n: number, d: number) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(0)} %`);

it('scan benchmark', async () => {
  const clamscan = requireTool('clamscan');
  const samples = buildSamples();
  const messages = samples.map((s) => readFileSync(s.file));
  const totalBytes = messages.reduce((n, m) => n + m.length, 0);

  // 1. Throughput and detections of sekisho; ordinary mail timed apart from mail that carries
  //    encrypted Office documents (their password tries are expensive on purpose).
  const times: number[] = [];
  const plainTimes: number[] = [];
  let sekishoMacro = new Map<string, boolean>();
  for (let round = 0; round < ROUNDS; round++) {
    const found = new Map<string, boolean>();
    let all = 0;
    let plain = 0;
    for (let i = 0; i < samples.length; i++) {
      const started = performance.now();
      const v = await inspect({ mailFrom: '', rcptTo: [] }, messages[i] as Buffer);
      const took = performance.now() - started;
      all += took;
      if (!(samples[i] as Sample).encryptedOffice) plain += took;
      found.set((samples[i] as Sample).file, v.findings.some((f) => f.detector === 'macro'));
    }
    times.push(all);
    plainTimes.push(plain);
    sekishoMacro = found;
  }
  const ms = median(times);
  const plainMs = median(plainTimes);
  const plainSamples = samples.filter((s) => !s.encryptedOffice);
  const plainBytes = plainSamples.reduce((n, s) => n + readFileSync(s.file).length, 0);

  // One password try on ECMA-376 agile encryption (spinCount 100,000).
  const agile = readFileSync(path.join(FIXTURES, 'office-oletools/encrypted/encrypted.docx'));
  const tryStarted = performance.now();
  const tried = analyzeOle(agile, { passwords: ['wrong-1', 'wrong-2', 'wrong-3'], maxPasswordTries: 4 });
  const perTry = (performance.now() - tryStarted) / (tried.encryption?.passwordsTried ?? 4);

  // 2. A 25 MB message: a zip with a macro .xlsm and 18 MB of incompressible data.
  const xlsm = { name: 'macro.xlsm', bytes: attachmentOf(readFileSync(path.join(FIXTURES, 'mail-spamassassin/olevbmacro/macro.eml')), 'macro.xlsm') };
  const big = mailOf({ body: '請求書をお送りします。', attachments: [{ name: '請求書.zip', bytes: zipOf([xlsm, { name: 'data.bin', bytes: randomBytes(18 * 1024 * 1024) }]) }] });
  const bigFile = path.join(work, 'big.eml');
  writeFileSync(bigFile, big);
  const oneRun = () => JSON.parse(execFileSync(process.execPath, [path.resolve(__dirname, 'inspect-one.mjs'), bigFile], { encoding: 'utf8' })) as { ms: number; peakRssMB: number; verdict: string; findings: string[] };
  const bigRuns = Array.from({ length: 3 }, oneRun);

  // 3. ClamAV on the same files.
  writeFileSync(path.join(work, 'dummy.ndb'), 'Dummy.Test.Sig:0:*:6e6f7468696e675f746f5f6d617463685f78797a\n');
  const clamStarted = performance.now();
  const clam = spawnSync(clamscan, ['-d', path.join(work, 'dummy.ndb'), '--alert-macros=yes', '--alert-encrypted=yes', '--allmatch=yes', '--no-summary', ...samples.map((s) => s.file)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const clamMs = performance.now() - clamStarted;
  const clamMacro = new Map<string, boolean>();
  const clamEncrypted = new Map<string, boolean>();
  for (const line of clam.stdout.split('\n')) {
    const m = /^(.*?): (.+) FOUND$/.exec(line);
    if (!m) continue;
    const [, file = '', name = ''] = m;
    if (/Macros|VBA|XLM/i.test(name)) clamMacro.set(file, true);
    if (/Encrypted/i.test(name)) clamEncrypted.set(file, true);
  }

  const rows = (pred: (s: Sample) => boolean) => samples.filter(pred);
  const labelledMacro = rows((s) => s.macro === true);
  const labelledClean = rows((s) => s.macro === false);
  const wrappingsList = [...new Set(labelledMacro.map((s) => s.wrapping))];
  const out: string[] = [];
  out.push(`\nsekisho scan benchmark — ${samples.length} messages, ${(totalBytes / 1024 / 1024).toFixed(1)} MB, ${ROUNDS} rounds (median)`);
  out.push(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.availableParallelism()}, Node ${process.version}, ${execFileSync(clamscan, ['--version'], { encoding: 'utf8' }).trim()}\n`);
  out.push('| | sekisho inspect() | clamscan (heuristics, one process) |');
  out.push('|---|---:|---:|');
  out.push(`| time for all ${samples.length} messages | ${ms.toFixed(0)} ms | ${clamMs.toFixed(0)} ms (incl. start-up) |`);
  out.push(`| throughput, all | ${((totalBytes / 1024 / 1024) / (ms / 1000)).toFixed(1)} MB/s, ${(samples.length / (ms / 1000)).toFixed(0)} msg/s | ${((totalBytes / 1024 / 1024) / (clamMs / 1000)).toFixed(1)} MB/s |`);
  out.push(`| throughput, the ${plainSamples.length} messages without encrypted Office documents | ${((plainBytes / 1024 / 1024) / (plainMs / 1000)).toFixed(1)} MB/s, ${(plainSamples.length / (plainMs / 1000)).toFixed(0)} msg/s | |`);
  out.push(`| one password try on an agile-encrypted document | ${perTry.toFixed(0)} ms | (not tried) |`);
  const found = (map: Map<string, boolean>, list: Sample[]) => list.filter((s) => map.get(s.file)).length;
  out.push(`| labelled macros found (all wrappings) | ${found(sekishoMacro, labelledMacro)} / ${labelledMacro.length} | ${found(clamMacro, labelledMacro)} / ${labelledMacro.length} |`);
  for (const w of wrappingsList) {
    const list = labelledMacro.filter((s) => s.wrapping === w);
    out.push(`| … ${w} | ${found(sekishoMacro, list)} / ${list.length} | ${found(clamMacro, list)} / ${list.length}${w === 'password zip' ? ` (encrypted zip flagged: ${found(clamEncrypted, list)})` : ''} |`);
  }
  out.push(`| macro findings on macro-free files | ${found(sekishoMacro, labelledClean)} / ${labelledClean.length} | ${found(clamMacro, labelledClean)} / ${labelledClean.length} |`);
  out.push(`\n25 MB message (a zip with macro.xlsm and 18 MB of random data, ${(big.length / 1024 / 1024).toFixed(1)} MB as sent), fresh process each run:`);
  for (const r of bigRuns) out.push(`- ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMB.toFixed(0)} MB, ${r.verdict} (${r.findings.join(', ')})`);
  out.push(`\nlabelled macros missed by sekisho: ${labelledMacro.filter((s) => !sekishoMacro.get(s.file)).map((s) => `${s.row} [${s.wrapping}]`).join('; ') || 'none'}`);
  out.push(`labelled macros missed by clamscan: ${pct(labelledMacro.filter((s) => !clamMacro.get(s.file)).length, labelledMacro.length)} of them`);
  process.stdout.write(`${out.join('\n')}\n`);
  writeFileSync(path.join(work, 'result.md'), out.join('\n'));
});
