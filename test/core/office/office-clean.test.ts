import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectDocument, officeFiles } from '../../helpers/office-measure.js';

/**
 * Real clean documents (test/fixtures/office-clean/SOURCES.md): each, attached to an
 * ordinary mail, comes out clean. Several were quarantined or unscannable before; the
 * low findings some keep are evidence for the admin and change nothing.
 */
const DIR = path.resolve(__dirname, '../../fixtures/office-clean');
const files = officeFiles(DIR);
const rel = (f: string) => path.relative(DIR, f);

describe('clean Office documents come out clean', () => {
  it('the subset is what SOURCES.md lists, of every type', () => {
    const listed = [...readFileSync(path.join(DIR, 'SOURCES.md'), 'utf8').matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual(files.map(rel).sort());
    const types = new Set(files.map((f) => path.extname(f).toLowerCase()));
    expect([...types].sort()).toEqual(['.doc', '.docx', '.ppt', '.pptx', '.xls', '.xlsx']);
  });

  it.each(files.map((f) => [rel(f), f]))('%s', async (_name, file) => {
    const result = await inspectDocument(readFileSync(file), path.basename(file));
    expect(result.flagged).toEqual([]);
    expect(result.verdict).toBe('clean');
    expect(result.action).toBe('pass');
  });
});

describe('what the clean documents still say, as low evidence', () => {
  const findingsOf = async (name: string) => (await inspectDocument(readFileSync(path.join(DIR, name)), path.basename(name))).findings;

  it('a chart linked to a workbook on an intranet share', async () => {
    expect(await findingsOf('libreoffice/FDO74430.docx')).toEqual([
      expect.objectContaining({ code: 'remote-object', severity: 'low', evidence: expect.objectContaining({ type: 'oleObject', host: 'fs1', intranet: true }) }),
    ]);
  });

  it('a chart linked to a OneDrive workbook that Office reads only when the data is edited', async () => {
    expect(await findingsOf('libreoffice/date-categories.pptx')).toEqual([
      expect.objectContaining({ code: 'remote-object', severity: 'low', evidence: expect.objectContaining({ host: 'd.docs.live.net', on_open: false }) }),
    ]);
  });

  it('a header picture linked from the web', async () => {
    const findings = await findingsOf('libreoffice/TestVMLData.docx');
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(f).toMatchObject({ code: 'remote-object', severity: 'low', evidence: { type: 'image', host: 'europa.eu' } });
  });

  it('local templates and workbooks, the 822× EMF, the odd zips: nothing at all', async () => {
    for (const name of ['libreoffice/tdf124384.docx', 'libreoffice/tdf127720.pptx', 'libreoffice/tdf109137.docx', 'apache-poi/bug62513.pptx', 'apache-poi/61300.xls', 'libreoffice/different-column-width-excel2010.xlsx']) {
      expect(await findingsOf(name), name).toEqual([]);
    }
  });
});
