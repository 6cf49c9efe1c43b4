import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../../src/core/inspect.js';
import { parseCfb } from '../../../src/core/ole/cfb.js';
import { wordAttachedTemplate } from '../../../src/core/ole/word-template.js';
import { mailOf } from '../../helpers/wrappings.js';
import { buildCfb } from './cfb-builder.js';

/**
 * A Word 97 document reduced to what the template look-up reads: a FIB whose
 * FibRgFcLcb97 pair 32 (fcSttbfAssoc) points into the table stream at an SttbfAssoc.
 */
function docWithTemplate(template: string, options: { extended?: boolean; table?: '0Table' | '1Table' } = {}): Buffer {
  const extended = options.extended ?? true;
  const table = options.table ?? '1Table';
  const strings = Array.from({ length: 18 }, (_, i) => (i === 1 ? template : ''));
  const parts: Buffer[] = [];
  const head = Buffer.alloc(extended ? 6 : 4);
  if (extended) {
    head.writeUInt16LE(0xffff, 0);
    head.writeUInt16LE(strings.length, 2);
  } else head.writeUInt16LE(strings.length, 0);
  parts.push(head);
  for (const s of strings) {
    const text = Buffer.from(s, extended ? 'utf16le' : 'latin1');
    const len = Buffer.alloc(extended ? 2 : 1);
    if (extended) len.writeUInt16LE(s.length, 0);
    else len.writeUInt8(s.length, 0);
    parts.push(len, text);
  }
  const sttb = Buffer.concat(parts);
  const tableStream = Buffer.concat([Buffer.alloc(64), sttb]);
  const fib = Buffer.alloc(32 + 2 + 14 * 2 + 2 + 22 * 4 + 2 + 93 * 8);
  fib.writeUInt16LE(0xa5ec, 0);
  fib.writeUInt16LE(table === '1Table' ? 0x0200 : 0, 0x0a);
  let at = 32;
  fib.writeUInt16LE(14, at);
  at += 2 + 28;
  fib.writeUInt16LE(22, at);
  at += 2 + 88;
  fib.writeUInt16LE(93, at);
  at += 2;
  fib.writeUInt32LE(64, at + 32 * 8);
  fib.writeUInt32LE(sttb.length, at + 32 * 8 + 4);
  return buildCfb([
    { name: 'WordDocument', data: fib },
    { name: table, data: tableStream },
  ]).bytes;
}

const ENVELOPE = { mailFrom: 's@example.com', rcptTo: ['r@example.net'] };

describe('the attached template of a .doc (SttbfAssoc)', () => {
  it('reads it from either table stream, Unicode or single-byte', () => {
    const t = 'C:\\Users\\a\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm';
    expect(wordAttachedTemplate(parseCfb(docWithTemplate(t)))).toBe(t);
    expect(wordAttachedTemplate(parseCfb(docWithTemplate(t, { table: '0Table' })))).toBe(t);
    expect(wordAttachedTemplate(parseCfb(docWithTemplate(t, { extended: false })))).toBe(t);
    expect(wordAttachedTemplate(parseCfb(docWithTemplate('')))).toBeUndefined();
  });

  it('a real Word document keeps its file server template: low evidence, the document stays clean', async () => {
    const doc = readFileSync(path.resolve(__dirname, '../../fixtures/office-clean/apache-poi/Bug47958.doc'));
    expect(wordAttachedTemplate(parseCfb(doc))).toMatch(/^\\\\Prisma8\\prisma hub\\Adminstration\\Templates\\/);
    const verdict = await inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: 'quote.doc', bytes: doc }] }));
    expect(verdict.verdict).toBe('clean');
    expect(verdict.findings).toEqual([expect.objectContaining({ code: 'remote-template', severity: 'low', evidence: expect.objectContaining({ host: 'prisma8', intranet: true, relationships: 'doc SttbfAssoc' }) })]);
  });

  it('a template on another host is remote template injection; one on disk is nothing', async () => {
    const verdictOf = (t: string) => inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: '請求書.doc', bytes: docWithTemplate(t) }] }));
    const remote = await verdictOf('\\\\203.0.113.9@SSL\\DavWWWRoot\\invoice.dotm');
    expect(remote.verdict).toBe('malicious');
    expect(remote.findings[0]).toMatchObject({ code: 'remote-template', severity: 'high', evidence: { part: '2/請求書.doc', form: 'WebDAV', host: '203.0.113.9' } });
    expect((await verdictOf('D:\\Vorlagen\\Brief.dot')).findings).toEqual([]);
  });
});
