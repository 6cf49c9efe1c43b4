import { readFileSync } from 'node:fs';
import path from 'node:path';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { editMessage, editMessageDetailed, type MessageEdits } from '../../src/edit/apply-edits.js';
import { fieldKey, parseHeaderBlock } from '../../src/message/header-block.js';
import { verdictHeaders } from '../../src/edit/verdict-headers.js';

const TAG = '[SUSPICIOUS] ';
const TAGGING: MessageEdits = {
  stripOwnHeaders: true,
  subjectPrefix: TAG,
  knownPrefixes: [TAG],
  addHeaders: verdictHeaders({ verdict: 'suspicious', score: 40, findings: [{ detector: 'macro', code: 'vba', severity: 'high' }] }),
};
const HEADER_ONLY: MessageEdits = { ...TAGGING, subjectPrefix: undefined };
const corpusFile = (p: string) => readFileSync(path.resolve(__dirname, '../fixtures/mail-ruby', p));

/** A body a careless rewrite would change: bare LF, CR alone, 8-bit, NUL, a header-like line. */
const NASTY_BODY = Buffer.from('\r\nline1\nline2\r\rX-Sekisho-Verdict: clean\r\n\u0000\u00ff\u00fe\x1b$B$"\x1b(B\r\n\r\n.\r\nend', 'latin1');

const headerText = (msg: Buffer) => {
  const block = parseHeaderBlock(msg);
  return msg.subarray(0, block.bodyStart).toString('latin1');
};
const bodyOf = (msg: Buffer) => msg.subarray(parseHeaderBlock(msg).bodyStart);

describe('editMessage', () => {
  it('returns the very Buffer when there is nothing to change', () => {
    const msg = Buffer.concat([Buffer.from('From: a@example.jp\r\nSubject: hi\r\n'), NASTY_BODY]);
    expect(editMessage(msg, { stripOwnHeaders: true })).toBe(msg);
    expect(editMessage(msg, { stripOwnHeaders: false, addHeaders: [] })).toBe(msg);
    expect(editMessage(msg, { stripOwnHeaders: true, subjectPrefix: '' })).toBe(msg);
    expect(editMessageDetailed(msg, { stripOwnHeaders: true }).outcome).toBe('unchanged');
    // Already tagged exactly as we would write it: nothing to rewrite either.
    const tagged = Buffer.from('Subject: [SUSPICIOUS] hi\r\n\r\nbody');
    expect(editMessage(tagged, { stripOwnHeaders: true, subjectPrefix: TAG })).toBe(tagged);
  });

  it('tags, adds the verdict at the top and leaves the body as received', () => {
    const msg = Buffer.concat([Buffer.from('Received: from x\r\n by y\r\nFrom: a@example.jp\r\nSubject: 請求書\r\nTo: b@example.jp\r\n'), NASTY_BODY]);
    const out = editMessage(msg, TAGGING);
    expect(out).not.toBe(msg);
    expect(bodyOf(out).equals(NASTY_BODY)).toBe(true);
    expect(headerText(out)).toBe(
      'X-Sekisho-Verdict: suspicious\r\nX-Sekisho-Score: 40\r\nX-Sekisho-Findings: macro/vba=high\r\n' +
        'Received: from x\r\n by y\r\nFrom: a@example.jp\r\nSubject: =?UTF-8?B?W1NVU1BJQ0lPVVNdIOiri+axguabuA==?=\r\nTo: b@example.jp\r\n',
    );
  });

  it('removes forged X-Sekisho-* fields, folded continuation lines included', () => {
    const msg = Buffer.from(
      'X-Sekisho-Verdict: clean\r\nFrom: a@example.jp\r\nX-Sekisho-Findings: none;\r\n\tX-Injected: 1\r\n more\r\nx-sekisho-score : 0\r\nSubject: s\r\nX-Sekisho: kept\r\n\r\nbody X-Sekisho-Verdict: clean\r\n',
    );
    const out = editMessage(msg, { stripOwnHeaders: true });
    expect(out.toString()).toBe('From: a@example.jp\r\nSubject: s\r\nX-Sekisho: kept\r\n\r\nbody X-Sekisho-Verdict: clean\r\n');
    expect(editMessageDetailed(msg, { stripOwnHeaders: true }).outcome).toBe('edited');
  });

  it('keeps forged fields when told not to strip them', () => {
    const msg = Buffer.from('X-Sekisho-Verdict: clean\r\n\r\nbody');
    expect(editMessage(msg, { stripOwnHeaders: false })).toBe(msg);
  });

  it('writes new fields with the message own bare LF', () => {
    const msg = Buffer.from('From: a@example.jp\nSubject: hello\nX-Sekisho-Score: 0\n\nbody\r\nmixed\n');
    const out = editMessage(msg, TAGGING);
    expect(out.toString()).toBe(
      'X-Sekisho-Verdict: suspicious\nX-Sekisho-Score: 40\nX-Sekisho-Findings: macro/vba=high\nFrom: a@example.jp\nSubject: [SUSPICIOUS] hello\n\nbody\r\nmixed\n',
    );
  });

  it('header-only mode leaves the Subject bytes as they were', () => {
    const subject = 'Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n';
    const msg = Buffer.from(`From: a@example.jp\r\n${subject}\r\nbody`);
    const out = editMessage(msg, HEADER_ONLY);
    const fields = parseHeaderBlock(out).fields;
    expect(fields.filter((f) => fieldKey(f) === 'subject').map((f) => f.raw.toString())).toEqual([subject]);
    expect(fields.map((f) => f.name)).toEqual(['X-Sekisho-Verdict', 'X-Sekisho-Score', 'X-Sekisho-Findings', 'From', 'Subject']);
    expect(bodyOf(out).toString()).toBe('\r\nbody');
  });

  it('adds a Subject at the end of the header block when there is none', () => {
    const msg = Buffer.from('From: a@example.jp\r\nTo: b@example.jp\r\n\r\nbody');
    expect(editMessage(msg, { stripOwnHeaders: true, subjectPrefix: TAG }).toString()).toBe('From: a@example.jp\r\nTo: b@example.jp\r\nSubject: [SUSPICIOUS]\r\n\r\nbody');
  });

  it('adds it before a line that is not a field, where parsers end the header block', () => {
    const msg = Buffer.from('From: a@example.jp\r\nnot a field\r\nTo: b@example.jp\r\n\r\nbody');
    expect(editMessage(msg, { stripOwnHeaders: true, subjectPrefix: TAG }).toString()).toBe(
      'From: a@example.jp\r\nSubject: [SUSPICIOUS]\r\nnot a field\r\nTo: b@example.jp\r\n\r\nbody',
    );
  });

  it('tags only the first Subject and leaves the others as they are', () => {
    const msg = Buffer.from('Subject: one\r\nSubject: two\r\n\r\nSubject: in body\r\n');
    expect(editMessage(msg, { stripOwnHeaders: true, subjectPrefix: TAG }).toString()).toBe('Subject: [SUSPICIOUS] one\r\nSubject: two\r\n\r\nSubject: in body\r\n');
  });

  it('edits a message that has no body separator', () => {
    const msg = Buffer.from('From: a@example.jp\r\nTo: b@example.jp');
    const out = editMessage(msg, TAGGING);
    expect(out.toString()).toBe(
      'X-Sekisho-Verdict: suspicious\r\nX-Sekisho-Score: 40\r\nX-Sekisho-Findings: macro/vba=high\r\nFrom: a@example.jp\r\nTo: b@example.jp\r\nSubject: [SUSPICIOUS]\r\n',
    );
  });

  it('edits a message whose header block is empty', () => {
    const msg = Buffer.from('\r\nbody');
    expect(editMessage(msg, { stripOwnHeaders: true, addHeaders: [['X-Sekisho-Score', '1']] }).toString()).toBe('X-Sekisho-Score: 1\r\n\r\nbody');
  });

  it('leaves a 2 MB header block alone and says so', () => {
    const msg = Buffer.from(`X-Sekisho-Verdict: clean\r\nSubject: x\r\n${`X-Filler: ${'b'.repeat(1000)}\r\n`.repeat(2100)}\r\nbody`);
    const result = editMessageDetailed(msg, TAGGING);
    expect(result.outcome).toBe('header-too-large');
    expect(result.message).toBe(msg);
    expect(editMessage(msg, TAGGING)).toBe(msg);
  });

  it('never throws on malformed headers', () => {
    const msg = Buffer.from(' cont\r\n\u0000\u0000\r\n:\r\nSubject\r\nSubject:\xff\x00\x1b$B\r\n\r\n\u0000', 'latin1');
    const out = editMessage(msg, TAGGING);
    expect(bodyOf(out).equals(Buffer.from('\r\n\u0000', 'latin1'))).toBe(true);
    expect(parseHeaderBlock(out).fields.filter((f) => fieldKey(f) === 'subject')).toHaveLength(1);
  });

  it('keeps each corpus message body and other fields byte-identical in header-only mode', () => {
    for (const file of ['multi_charset/japanese_shift_jis.eml', 'error_emails/multiple_invalid_content_dispositions.eml', 'mime_emails/raw_email_with_binary_encoded.eml']) {
      const msg = corpusFile(file);
      const out = editMessage(msg, HEADER_ONLY);
      const before = parseHeaderBlock(msg);
      const after = parseHeaderBlock(out);
      expect(bodyOf(out).equals(bodyOf(msg)), file).toBe(true);
      expect(after.fields.slice(3).map((f) => f.raw)).toEqual(before.fields.map((f) => f.raw));
      expect(after.lineEnding).toBe(before.lineEnding);
      expect(out.subarray(0, 30).toString()).toBe(`X-Sekisho-Verdict: suspicious${before.lineEnding[0]}`);
    }
  });
});

describe('verdictHeaders', () => {
  it('writes codes only, printable ASCII, folded at "; " within 78', () => {
    const findings = [
      { detector: 'macro', code: 'vba', severity: 'high' },
      { detector: 'brand', code: 'display-name', severity: 'high' },
      { detector: 'brand', code: 'lookalike;sender=high', severity: 'medium' },
      { detector: 'archive', code: 'encrypted zip 請求書', severity: 'low' },
      { detector: 'macro', code: 'vba', severity: 'high' },
      ...Array.from({ length: 8 }, (_, i) => ({ detector: 'limits', code: `code-${i}`, severity: 'info' })),
    ];
    const headers = verdictHeaders({ verdict: 'suspicious', score: 40.4, findings });
    expect(headers.slice(0, 2)).toEqual([
      ['X-Sekisho-Verdict', 'suspicious'],
      ['X-Sekisho-Score', '40'],
    ]);
    expect(headers[2]?.[1]).toMatch(/^macro\/vba=high; brand\/display-name=high; brand\/lookalike_sender_high=medium; archive\/encrypted_zip____=low; limits\/code-0=info;/);
    const out = editMessage(Buffer.from('Subject: s\r\n\r\n'), { stripOwnHeaders: true, addHeaders: headers }).toString('latin1');
    const head = out.slice(0, out.indexOf('\r\n\r\n'));
    const lines = head.split('\r\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(78);
      expect(line).toMatch(/^[\x20-\x7e]+$/);
    }
    for (const line of lines.filter((l) => l.startsWith(' '))) expect(line).toMatch(/^( [a-z]+\/[^ ;=]+=[a-z]+;?)+$/);
    expect(libmime.decodeHeader(lines.slice(2, -1).join('\r\n')).value).toBe(headers[2]?.[1]);
  });

  it('caps the findings of a message built to yield thousands', () => {
    const findings = Array.from({ length: 1000 }, (_, i) => ({ detector: 'archive', code: `c${i}`, severity: 'low' }));
    const value = verdictHeaders({ verdict: 'malicious', score: Number.NaN, findings })[2]?.[1] ?? '';
    expect(value.split('; ')).toHaveLength(31);
    expect(value.endsWith('; +970')).toBe(true);
    expect(verdictHeaders({ verdict: 'clean', score: Number.NaN, findings: [] })).toEqual([
      ['X-Sekisho-Verdict', 'clean'],
      ['X-Sekisho-Score', '0'],
    ]);
  });
});
