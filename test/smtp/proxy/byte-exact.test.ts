import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { TestSink } from '../../helpers/test-sink.js';
import { emlFiles } from '../../helpers/clean-measure.js';

// A copy of ../shared/corpus/mail-ruby (test/fixtures/mail-ruby/SOURCE.md).
const CORPUS = path.resolve(__dirname, '../../fixtures/mail-ruby');


const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** SMTP content always ends with a line break; a file that does not gets CRLF added before sending. */
function asSent(file: Buffer): Buffer {
  return file.length >= 2 && file.subarray(-2).toString() === '\r\n' ? file : Buffer.concat([file, Buffer.from('\r\n')]);
}

describe('byte-exact relay', () => {
  let sink: TestSink;
  let proxy: RunningProxy;

  beforeAll(async () => {
    sink = await TestSink.start();
    proxy = await startProxy(sink.url);
  });
  afterAll(async () => {
    await proxy.stop();
    await sink.stop();
  });

  async function relay(message: Buffer): Promise<Buffer> {
    const before = sink.messages.length;
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('sender@example.com', ['rcpt@example.net'], message);
    await client.quit();
    expect(result.data?.final?.code).toBe(250);
    expect(sink.messages.length).toBe(before + 1);
    return sink.messages[before]!.data;
  }

  const files = emlFiles(CORPUS);

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files.map((f) => [path.relative(CORPUS, f), f]))('%s arrives with the same SHA-256', async (_name, file) => {
    const message = asSent(readFileSync(file));
    const received = await relay(message);
    expect(sha256(received)).toBe(sha256(message));
  });

  it.each(files.map((f) => [path.relative(CORPUS, f), f]))('%s with bare LF line ends arrives unchanged too', async (_name, file) => {
    const message = Buffer.from(asSent(readFileSync(file)).toString('latin1').replace(/\r\n/g, '\n').replace(/\n$/, '\r\n'), 'latin1');
    const received = await relay(message);
    expect(sha256(received)).toBe(sha256(message));
  });

  const edgeCases: Array<[string, Buffer]> = [
    ['lines that start with dots', Buffer.from('Subject: dots\r\n\r\n.\r\n..\r\n...leading\r\n. space\r\nend.\r\n')],
    ['a body that starts with a dot', Buffer.from('.starts-with-dot\r\n')],
    ['dots after bare LF', Buffer.from('Subject: lf\n\n.a\n..b\n.\nlast\r\n')],
    ['a lone CR and CRLF-dot-CR sequences', Buffer.from('Subject: cr\r\n\r\nx\ry\r\n.\rz\r\n')],
    ['8-bit bytes (Shift_JIS and invalid UTF-8)', Buffer.concat([Buffer.from('Subject: 8bit\r\n\r\n'), Buffer.from([0x82, 0xa0, 0x93, 0xfa, 0x96, 0x7b, 0xff, 0xfe, 0x00, 0x80]), Buffer.from('\r\n')])],
    ['a 1 MB line without a break', Buffer.concat([Buffer.from('Subject: long\r\n\r\n'), Buffer.alloc(1024 * 1024, 0x61), Buffer.from('\r\n')])],
    ['a line of 2,000 dots', Buffer.from(`Subject: many\r\n\r\n${'.'.repeat(2000)}\r\n`)],
    ['a terminator-like sequence split by bare LF', Buffer.from('Subject: t\r\n\r\n\n.\r\nafter\r\n')],
  ];

  it.each(edgeCases)('%s arrive unchanged', async (_name, message) => {
    const received = await relay(message);
    expect(received.equals(message)).toBe(true);
  });
});
