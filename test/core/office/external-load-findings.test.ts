import { readFileSync } from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { externalLoadFinding } from '../../../src/core/detectors/external-load-findings.js';
import { inspect } from '../../../src/core/inspect.js';
import { classifyTarget } from '../../../src/core/office/external-target.js';
import { mailOf } from '../../helpers/wrappings.js';
import { buildZip } from '../../helpers/zip-writer.js';

const AT = { part: '2/契約書.docx' };
const severity = (type: string, target: string, onOpen = true) => {
  const reach = classifyTarget(target);
  if (reach.reach === 'local') return 'none';
  return externalLoadFinding(AT, { type, target, reach, onOpen }, 'word/_rels/settings.xml.rels').severity;
};

describe('external loads: severity follows what following the target can do', () => {
  it.each([
    // A template from another host is high; from the reader's own network, low; from disk, nothing.
    ['attachedTemplate', 'http://198.51.100.7/invoice.dotm', 'high'],
    ['attachedTemplate', '\\\\evil.example@SSL\\DavWWWRoot\\t.dotm', 'high'],
    ['attachedTemplate', 'file://evil.example/t.dotm', 'high'],
    ['attachedTemplate', '\\\\fileserver\\Templates\\Letter.dotx', 'low'],
    ['attachedTemplate', '\\\\192.168.10.4\\Templates\\Letter.dotx', 'low'],
    ['attachedTemplate', 'C:\\Users\\a\\Template.dotx', 'none'],
    // A protocol handler is high whatever the relationship (Follina: an oleObject to mhtml:),
    // even towards the reader's own network: the handler is the danger.
    ['oleObject', 'mhtml:http://203.0.113.5/x.html!x-usc:http://203.0.113.5/x.html', 'high'],
    ['oleObject', 'ms-msdt:/id PCWDiagnostic /skip force', 'high'],
    ['image', 'search-ms:query=x&crumb=location:\\\\evil.example\\s', 'high'],
    ['frame', 'mhtml:\\\\fileserver\\s\\x.mht', 'high'],
    // Other linked objects on an Internet host are medium; pictures and workbook links only over UNC.
    ['oleObject', 'https://evil.example/x.html', 'medium'],
    ['subDocument', '\\\\evil.example\\s\\sub.docx', 'medium'],
    ['frame', 'http://evil.example/f.html', 'medium'],
    ['image', '\\\\203.0.113.9\\s\\pixel.png', 'medium'],
    ['xlPathMissing', '\\\\evil.example\\s\\b.xlsx', 'medium'],
    // A web picture is a beacon at most; Excel asks before it updates a web link.
    ['image', 'http://europa.eu/abc/symbols/emblem/images/europ_flag/jaune.jpg', 'low'],
    ['externalLinkPath', 'https://contoso.sharepoint.com/sites/f/Budget.xlsx', 'low'],
  ])('%s %s: %s', (type, target, expected) => {
    expect(severity(type, target)).toBe(expected);
  });

  it("a chart's source workbook that is read only when the user edits the data is low", () => {
    expect(severity('oleObject', 'https://d.docs.live.net/4a1c/Documents/Date-categories.xlsx', false)).toBe('low');
    expect(severity('oleObject', 'https://d.docs.live.net/4a1c/Documents/Date-categories.xlsx', true)).toBe('medium');
  });

  it('the summary says where the target goes and why it matters', () => {
    const reach = classifyTarget('\\\\evil.example\\share\\t.dotm');
    if (reach.reach === 'local') throw new Error('unreachable');
    const f = externalLoadFinding(AT, { type: 'attachedTemplate', target: '\\\\evil.example\\share\\t.dotm', reach, onOpen: true }, 'word/_rels/settings.xml.rels');
    expect(f).toMatchObject({ code: 'remote-template', evidence: { part: '2/契約書.docx', reach: 'remote', form: 'UNC', host: 'evil.example', intranet: false, on_open: true } });
    expect(f.summary).toBe("2/契約書.docx loads its template from \\\\evil.example\\share\\t.dotm: UNC to evil.example (Windows connects with the reader's credentials) (remote template injection: macros fetched when opened)");
  });
});

describe('external loads in a real .docx, end to end', () => {
  const F = path.resolve(__dirname, '../../fixtures');
  const ENVELOPE = { mailFrom: 's@example.com', rcptTo: ['r@example.net'] };
  const TEMPLATE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate';

  async function withSettingsRels(target: string): Promise<Buffer> {
    const docx = readFileSync(path.join(F, 'office-oletools/msodde/harmless-clean.docx'));
    const zip = await yauzl.fromBufferPromise(docx, { lazyEntries: true });
    const members: Array<{ name: string; content: Buffer }> = [];
    for await (const entry of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
      members.push({ name: entry.fileName, content: Buffer.concat(chunks) });
    }
    const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${TEMPLATE}" Target="${target}" TargetMode="External"/></Relationships>`;
    return buildZip([...members.filter((m) => m.name !== 'word/_rels/settings.xml.rels'), { name: 'word/_rels/settings.xml.rels', content: Buffer.from(rels) }]);
  }

  const verdictOf = async (target: string) => (await inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: '契約書.docx', bytes: await withSettingsRels(target) }] }))).verdict;

  it('a company template on the author\'s disk or file server passes; one on another host is malicious', async () => {
    expect(await verdictOf('file:///C:\\Users\\tanaka\\AppData\\Roaming\\Microsoft\\Templates\\社内文書.dotx')).toBe('clean');
    expect(await verdictOf('file:///\\\\fs01\\templates\\社内文書.dotx')).toBe('clean');
    expect(await verdictOf('file:////evil.example/templates/x.dotm')).toBe('malicious');
    expect(await verdictOf('\\\\evil.example@SSL\\DavWWWRoot\\x.dotm')).toBe('malicious');
  });
});
