/**
 * The brand detector's recall and false-positive rate, as docs/detection.md reports them:
 * `npm run measure:brands`. Ordinary mail: the fixtures, every directory under var/ham/
 * (bench/ham-fetch.sh puts the SpamAssassin corpus's 4,150 ham there) and HAM_DIRS
 * (colon-separated directories of .eml files). Real domains: var/domains/real-domains.tsv
 * when bench/real-domains-fetch.mjs has made it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { shippedChecker } from '../test/helpers/brand-mail.js';
import { emlFiles, measureClean } from '../test/helpers/clean-measure.js';
import { dnstwistFiles, measureDnstwist } from '../test/helpers/dnstwist-measure.js';
import { measureJpcert } from '../test/helpers/jpcert-measure.js';
import { measureRealDomains, readDomains, REAL_DOMAINS } from '../test/helpers/real-domains-measure.js';
import { parse } from 'tldts';
import { SHORT_NAME } from '../src/core/brand/brand-index.js';
import { catalogDomains, measureShort, sum, type ShortCount } from '../test/helpers/short-measure.js';

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

  const short = await measureShort(checker);
  const line = (c: ShortCount) =>
    `named: sender ${pct(c.namedSender, c.total)}, link ${pct(c.namedLink, c.total)}; unnamed (medium or above): sender ${pct(c.unnamedSender, c.total)}, link ${pct(c.unnamedLink, c.total)}, sender with a payment lure ${pct(c.unnamedLure, c.total)}, link beside the brand's own ${pct(c.unnamedBesideOwn, c.total)}`;
  const jp = [...short.byDomain].filter(([d]) => /\.jp$/.test(d)).map(([, c]) => c);
  const other = [...short.byDomain].filter(([d]) => !/\.jp$/.test(d)).map(([, c]) => c);
  out.push('', `One-edit lookalikes of the ${short.byDomain.size} short catalog domains (dnstwist's one-edit fuzzers; ${short.leftOut.length} left out as official or listed neighbours):`);
  out.push(`  all ${sum(short.byDomain.values()).total}: ${line(sum(short.byDomain.values()))}`);
  out.push(`  under .jp ${sum(jp).total}: ${line(sum(jp))}`);
  out.push(`  under other suffixes ${sum(other).total}: ${line(sum(other))}`);
  for (const [d, c] of short.byDomain) out.push(`    ${d} ${c.total}: ${line(c)}`);
  out.push(`  by fuzzer: ${[...short.byFuzzer].map(([f, c]) => `${f} ${c.unnamedSender}/${c.unnamedLink}/${c.total}`).join(', ')}`);
  out.push(`  missed under .jp (first 30): ${short.missed.filter((m) => /\.jp$/.test(m)).slice(0, 30).join(', ')}`);
  const all = await measureShort(checker, undefined, catalogDomains(checker));
  const cls = (d: string) => `${(parse(d).domainWithoutSuffix ?? '').length <= SHORT_NAME ? 'names of 4 letters or fewer' : 'longer names'} under ${/\.jp$/.test(d) ? '.jp' : 'other suffixes'}`;
  const classes = new Map<string, ShortCount[]>();
  for (const [d, c] of all.byDomain) classes.set(cls(d), [...(classes.get(cls(d)) ?? []), c]);
  out.push('', `One-edit lookalikes of all ${all.byDomain.size} registrable catalog domains (the same fuzzers and mails):`);
  out.push(`  all ${sum(all.byDomain.values()).total}: ${line(sum(all.byDomain.values()))}`);
  for (const [k, cs] of [...classes].sort()) out.push(`  ${k} ${sum(cs).total}: ${line(sum(cs))}`);
  out.push(`  by fuzzer (unnamed sender/link/total): ${[...all.byFuzzer].map(([f, c]) => `${f} ${c.unnamedSender}/${c.unnamedLink}/${c.total}`).join(', ')}`);
  out.push(`  missed without the brand named (first 30 of ${all.missed.filter((m) => /^unnamed-(?:sender|link) /.test(m)).length}): ${all.missed.filter((m) => /^unnamed-(?:sender|link) /.test(m)).slice(0, 30).join(', ')}`);

  const real = measureRealDomains(readDomains(REAL_DOMAINS), checker);
  if (real.domains > 0) {
    out.push('', `Real domains (var/domains/real-domains.tsv, ${real.domains} registrable) judged lookalikes at likely or above:`);
    out.push(`  by the short-name rules: ${real.short.length}${real.short.length ? `: ${real.short.join('; ')}` : ''}`);
    out.push(`  by the other rules: ${real.long.length}${real.long.length ? `: ${real.long.join('; ')}` : ''}`);
  }

  const j = measureJpcert(checker);
  out.push('', `JPCERT/CC phishing URLs 2019–2021: ${j.rows} rows, ${j.mapped} naming a catalog brand, ${j.unique} distinct (host, brand).`);
  out.push(`  In a mail naming the brand with a lure: a brand finding for ${j.lureAny} (${pct(j.lureAny, j.unique)}), suspicious or worse ${j.lureSuspicious} (${pct(j.lureSuspicious, j.unique)}).`);
  out.push(`  Brand readable in the host: ${j.readable}; the host alone judged a lookalike: ${j.readableCaught} (${pct(j.readableCaught, j.readable)}).`);
  out.push(`  Caught by the host although the brand cannot be read in it: ${j.otherCaught}.`);
  out.push(`  Not judgeable by the host name: ${Object.entries(j.unjudgeable).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push(`  Brand-readable hosts missed (first 20): ${j.missedReadable.slice(0, 20).join(', ')}`);

  const fetched = fileURLToPath(new URL('../var/ham/', import.meta.url));
  const dirs = [
    `${FIXTURES}mail-ruby`,
    `${FIXTURES}mail-ham`,
    // The whole SpamAssassin ham when fetched, else the subset in the fixtures.
    ...(existsSync(`${fetched}spamassassin`) ? [] : [`${FIXTURES}mail-spamassassin-ham`]),
    ...(existsSync(fetched) ? readdirSync(fetched).map((d) => `${fetched}${d}`) : []),
    ...(process.env['HAM_DIRS'] ?? '').split(':').filter(Boolean),
  ];
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
