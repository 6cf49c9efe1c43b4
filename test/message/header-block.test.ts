import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldKey, fieldValue, foldLines, makeField, MAX_HEADER_BLOCK_BYTES, parseHeaderBlock, rebuild } from '../../src/message/header-block.js';

const CORPUS = path.resolve(__dirname, '../fixtures/mail-ruby');
const corpus = readdirSync(CORPUS, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.eml'))
  .sort();

describe('parseHeaderBlock', () => {
  it('splits fields with their continuation lines and finds the separator', () => {
    const msg = Buffer.from('From: a@example.jp\r\nSubject: one\r\n two\r\n\tthree\r\nTo: b@example.jp\r\n\r\nbody\r\n');
    const block = parseHeaderBlock(msg);
    expect(block.tooLarge).toBe(false);
    expect(block.lineEnding).toBe('\r\n');
    expect(block.fields.map((f) => f.name)).toEqual(['From', 'Subject', 'To']);
    expect(block.fields[1]?.raw.toString()).toBe('Subject: one\r\n two\r\n\tthree\r\n');
    expect(msg.subarray(block.bodyStart).toString()).toBe('\r\nbody\r\n');
    expect(fieldValue(block.fields[1]!).toString()).toBe(' one\r\n two\r\n\tthree');
  });

  it('reads bare-LF messages and takes the first line for the style', () => {
    const block = parseHeaderBlock(Buffer.from('Subject: x\nTo: y\n\nbody\r\n'));
    expect(block.lineEnding).toBe('\n');
    expect(block.fields.map((f) => f.raw.toString())).toEqual(['Subject: x\n', 'To: y\n']);
    expect(block.bodyStart).toBe(17);
  });

  it('takes a message without an empty line as all header', () => {
    const msg = Buffer.from('Subject: x\r\nTo: y');
    const block = parseHeaderBlock(msg);
    expect(block.bodyStart).toBe(msg.length);
    expect(block.fields.map((f) => f.raw.toString())).toEqual(['Subject: x\r\n', 'To: y']);
  });

  it('gives an empty header block to a message that starts with its separator', () => {
    const msg = Buffer.from('\r\nSubject: in the body\r\n');
    const block = parseHeaderBlock(msg);
    expect(block.fields).toEqual([]);
    expect(block.bodyStart).toBe(0);
  });

  it('keeps malformed lines as fields of their own without throwing', () => {
    const msg = Buffer.from(' leading continuation\r\nno colon here\r\nNul\u0000: a\u0000b\r\n:empty name\r\nX: \xff\xfe\r\n\r\nbody', 'latin1');
    const block = parseHeaderBlock(msg);
    expect(block.fields.map((f) => f.name)).toEqual(['', '', 'Nul\u0000', '', 'X']);
    expect(rebuild(block.fields, msg, block).equals(msg)).toBe(true);
  });

  it('rebuilds every corpus message byte for byte', () => {
    expect(corpus.length).toBeGreaterThan(40);
    for (const file of corpus) {
      const msg = readFileSync(path.join(CORPUS, file));
      const block = parseHeaderBlock(msg);
      expect(block.fields.length, file).toBeGreaterThan(0);
      expect(rebuild(block.fields, msg, block).equals(msg), file).toBe(true);
    }
  });

  it('stops at the scan limit and reports it, still rebuilding to the same bytes', () => {
    const line = `X-Filler: ${'a'.repeat(990)}\r\n`;
    const msg = Buffer.from(`Subject: big\r\n${line.repeat(2100)}X-Sekisho-Verdict: clean\r\n\r\nbody`);
    expect(msg.length).toBeGreaterThan(2 * MAX_HEADER_BLOCK_BYTES);
    const block = parseHeaderBlock(msg);
    expect(block.tooLarge).toBe(true);
    expect(block.bodyStart).toBeLessThanOrEqual(MAX_HEADER_BLOCK_BYTES + line.length);
    expect(block.fields.some((f) => fieldKey(f) === 'x-sekisho-verdict')).toBe(false);
    expect(rebuild(block.fields, msg, block).equals(msg)).toBe(true);
    const oneLine = Buffer.from(`Subject: ${'x'.repeat(2 * MAX_HEADER_BLOCK_BYTES)}`);
    expect(parseHeaderBlock(oneLine).tooLarge).toBe(true);
  });

  it('compares names the way parsers do', () => {
    const block = parseHeaderBlock(Buffer.from('X-SEKISHO-Verdict \t: clean\r\n\r\n'));
    expect(fieldKey(block.fields[0]!)).toBe('x-sekisho-verdict');
  });
});

describe('rebuild', () => {
  it('ends a field that had no line ending when another now follows it', () => {
    const msg = Buffer.from('To: y');
    const block = parseHeaderBlock(msg);
    const out = rebuild([...block.fields, makeField('Subject', 'added', block.lineEnding)], msg, block);
    expect(out.toString()).toBe('To: y\r\nSubject: added\r\n');
  });
});

describe('foldLines and makeField', () => {
  it('folds at whitespace within 78 and unfolds to the same text', () => {
    const value = Array.from({ length: 40 }, (_, i) => `word${i}`).join('  ');
    const lines = foldLines('X-Test', value);
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(78);
    for (const l of lines.slice(1)) expect(l).toMatch(/^[ \t]+\S/);
    expect(lines.join('')).toBe(`X-Test: ${value}`);
  });

  it('cannot be made to start a field of the caller value', () => {
    const field = makeField('X-Sekisho-Verdict', 'clean\r\nX-Evil: 1\u00e9', '\n');
    expect(field.raw.toString()).toBe('X-Sekisho-Verdict: clean  X-Evil: 1?\n');
  });
});
