/**
 * False positives of the Office side of the core on real clean documents, as
 * docs/detection.md reports them: `npm run measure:office`.
 *
 * The corpus is the test data and documentation of Debian source packages, fetched and
 * labelled by bench/office-corpus/fetch.sh (labels from bench/office-corpus/label.py, which
 * uses olefile and zipfile, not sekisho's parsers). Set OFFICE_CORPUS to its directory; the
 * vendored subset in test/fixtures/office-clean is always measured too.
 *
 * A false positive is a clean document whose mail comes out suspicious, malicious or
 * unscannable, or that the default policy does not pass. Documents labelled macro or encrypted are not clean: for them the figure is
 * how many are still found.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { inspectDocument, officeFiles, officeType, readLabels, sourceOf, zipMemberSizes, type MemberSize } from '../test/helpers/office-measure.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/office-clean/', import.meta.url));

interface Tally {
  documents: number;
  flagged: number;
}

const add = (map: Map<string, Tally>, key: string, flagged: boolean) => {
  const t = map.get(key) ?? { documents: 0, flagged: 0 };
  t.documents++;
  if (flagged) t.flagged++;
  map.set(key, t);
};

const table = (map: Map<string, Tally>) =>
  [...map].sort((a, b) => a[0].localeCompare(b[0])).map(([k, t]) => `    ${k.padEnd(28)} ${String(t.documents).padStart(5)} documents, ${t.flagged} false positives`);

it('measures the Office side of the core on clean documents', async () => {
  const out: string[] = [];
  const byType = new Map<string, Tally>();
  const bySource = new Map<string, Tally>();
  const flaggedLines: string[] = [];
  const members: Array<MemberSize & { doc: string }> = [];
  const excluded = new Map<string, { n: number; found: number; unscannable: number }>();
  const lowOnly = new Map<string, number>();

  // The vendored subset is part of the corpus: measured on its own only when the corpus is absent.
  const docs: Array<{ path: string; source: string; label: string; detail: string }> = [];
  const corpus = process.env['OFFICE_CORPUS'];
  if (corpus && existsSync(join(corpus, 'labels.tsv'))) {
    for (const l of readLabels(join(corpus, 'labels.tsv'))) {
      if (!officeType(l.path)) continue;
      const path = join(corpus, l.path);
      docs.push({ path, source: sourceOf(join(corpus, 'files'), path), label: l.label, detail: l.detail });
    }
  } else {
    out.push('OFFICE_CORPUS not set (or without labels.tsv): only the vendored subset is measured. See bench/office-corpus/fetch.sh.', '');
    for (const path of officeFiles(FIXTURES)) docs.push({ path, source: 'test/fixtures/office-clean', label: 'clean', detail: '' });
  }

  for (const doc of docs) {
    const bytes = readFileSync(doc.path);
    const type = officeType(doc.path) as string;
    const result = await inspectDocument(bytes, doc.path.split('/').pop() as string);
    if (doc.label !== 'clean') {
      const e = excluded.get(doc.label) ?? { n: 0, found: 0, unscannable: 0 };
      e.n++;
      if (result.findings.some((f) => f.detector === 'macro' || f.detector === 'archive')) e.found++;
      if (result.verdict === 'unscannable') e.unscannable++;
      excluded.set(doc.label, e);
      continue;
    }
    const flagged = result.flagged.length > 0 || result.action !== 'pass';
    if (!flagged && result.findings.length > 0) {
      // Evidence that changes nothing: which kinds, once per document.
      for (const key of new Set(result.findings.map((f) => `${f.severity} ${f.detector}/${f.code}${f.evidence['form'] ? ` (${String(f.evidence['type'])}, ${String(f.evidence['form'])}${f.evidence['intranet'] ? ', intranet' : ''}${f.evidence['on_open'] === false ? ', not on open' : ''})` : ''}`))) {
        lowOnly.set(key, (lowOnly.get(key) ?? 0) + 1);
      }
    }
    add(byType, type, flagged);
    add(bySource, doc.source, flagged);
    if (flagged) flaggedLines.push(`    ${doc.path}: ${result.verdict}, ${result.action}: ${result.flagged.map((f) => `${f.detector}/${f.code} ${f.summary}`).join('; ')}`);
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      try {
        for (const m of await zipMemberSizes(bytes)) members.push({ ...m, doc: doc.path });
      } catch {
        // A package yauzl cannot list is reported by the inspection above, not here.
      }
    }
  }

  const total = [...byType.values()].reduce((s, t) => ({ documents: s.documents + t.documents, flagged: s.flagged + t.flagged }), { documents: 0, flagged: 0 });
  out.push(`Clean documents: ${total.documents}, false positives: ${total.flagged}.`, '  By type:', ...table(byType), '  By source:', ...table(bySource));
  if (flaggedLines.length > 0) out.push('  False positives:', ...flaggedLines.slice(0, 200));
  out.push('  Clean documents with low or info findings only (evidence, no effect on the verdict):');
  for (const [key, n] of [...lowOnly].sort((a, b) => b[1] - a[1])) out.push(`    ${String(n).padStart(5)}  ${key}`);
  out.push('', 'Not clean by the independent labels (not counted above; "found" = a macro or archive finding):');
  for (const [label, e] of [...excluded].sort()) out.push(`    ${label.padEnd(12)} ${e.n} documents, found ${e.found}, unscannable ${e.unscannable}`);

  // The zip members of the clean packages: what sizes and ratios real documents have.
  const ratio = (m: MemberSize) => m.uncompressed / Math.max(1, m.compressed);
  const over = (r: number) => members.filter((m) => ratio(m) > r);
  const largest = [...members].sort((a, b) => b.uncompressed - a.uncompressed)[0];
  out.push('', `Zip members of the clean packages: ${members.length}; largest ${largest ? `${largest.uncompressed} bytes (${largest.doc} ${largest.name})` : '-'}.`);
  for (const r of [100, 200, 500, 1000]) {
    const above = over(r).sort((a, b) => b.uncompressed - a.uncompressed);
    const top = above[0];
    out.push(`  ratio > ${r}: ${above.length} members; largest of them ${top ? `${top.uncompressed} bytes at ${ratio(top).toFixed(0)}× (${top.doc} ${top.name})` : '-'}`);
  }
  for (const m of over(200).sort((a, b) => b.uncompressed - a.uncompressed).slice(0, 5)) out.push(`    ${m.uncompressed} bytes from ${m.compressed} (${ratio(m).toFixed(0)}×): ${m.doc} ${m.name}`);
  for (const size of [1, 4, 16, 64]) {
    const n = members.filter((m) => m.uncompressed > size * 1024 * 1024).length;
    const hi = members.filter((m) => m.uncompressed > size * 1024 * 1024 && ratio(m) > 200).length;
    out.push(`  members over ${size} MiB: ${n}; of them over 200×: ${hi}`);
  }
  console.log(`\n${out.join('\n')}\n`);
}, 1_800_000);
