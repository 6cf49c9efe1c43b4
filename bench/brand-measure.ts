/**
 * The brand detector's recall and false-positive rate, as docs/detection.md reports them:
 * `npm run measure:brands`. Set HAM_DIRS (colon-separated directories of .eml files) to
 * add more ordinary mail to the false-positive measurement than the fixtures hold.
 */
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { shippedChecker } from '../test/helpers/brand-mail.js';
import { emlFiles, measureClean } from '../test/helpers/clean-measure.js';
import { dnstwistFiles, measureDnstwist } from '../test/helpers/dnstwist-measure.js';
import { measureJpcert } from '../test/helpers/jpcert-measure.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;

it('measures the brand detector', async () => {
  const checker = shippedChecker();
  const out: string[] = [`Catalog: ${checker.index.brands.size} brands, ${checker.index.official.size} official domains.`, ''];

  out.push('dnstwist lookalikes (sender with the brand name / link in mail naming the brand):');
  for (const file of dnstwistFiles()) {
    const r = await measureDnstwist(file, checker);
    const rows = Object.entries(r.byFuzzer).sort((a, b) => b[1].total - a[1].total);
    const total = rows.reduce((n, [, c]) => n + c.total, 0);
    const sender = rows.reduce((n, [, c]) => n + c.sender, 0);
    const link = rows.reduce((n, [, c]) => n + c.link, 0);
    out.push(`  ${r.original}: ${total} lookalikes, sender ${pct(sender, total)}, link ${pct(link, total)}; left out as the brand's own: ${r.official.map((o) => o.domain).join(', ') || 'none'}`);
    out.push(`    ${rows.map(([f, c]) => `${f} ${c.sender}/${c.link}/${c.total}`).join(', ')}`);
  }

  const j = measureJpcert(checker);
  out.push('', `JPCERT/CC phishing URLs 2019–2021: ${j.rows} rows, ${j.mapped} naming a catalog brand, ${j.unique} distinct (host, brand).`);
  out.push(`  In a mail naming the brand with a lure: a brand finding for ${j.lureAny} (${pct(j.lureAny, j.unique)}), suspicious or worse ${j.lureSuspicious} (${pct(j.lureSuspicious, j.unique)}).`);
  out.push(`  Brand readable in the host: ${j.readable}; the host alone judged a lookalike: ${j.readableCaught} (${pct(j.readableCaught, j.readable)}).`);
  out.push(`  Caught by the host although the brand cannot be read in it: ${j.otherCaught}.`);
  out.push(`  Not judgeable by the host name: ${Object.entries(j.unjudgeable).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push(`  Brand-readable hosts missed (first 20): ${j.missedReadable.slice(0, 20).join(', ')}`);

  const dirs = [`${FIXTURES}mail-ruby`, `${FIXTURES}mail-ham`, ...(process.env['HAM_DIRS'] ?? '').split(':').filter(Boolean)];
  out.push('', 'Ordinary mail (false positives = a brand finding at medium or above):');
  let messages = 0;
  let flagged = 0;
  for (const dir of dirs) {
    const r = await measureClean(emlFiles(dir), checker, dir);
    messages += r.messages;
    flagged += r.suspicious.length;
    out.push(`  ${dir}: ${r.messages} messages, ${r.suspicious.length} false positives, ${r.lowOnly} with only low findings`);
    for (const s of r.suspicious) out.push(`    ${s}`);
  }
  out.push(`  All: ${flagged} of ${messages} (${pct(flagged, messages)}).`);
  console.log(`\n${out.join('\n')}\n`);
}, 1_800_000);
