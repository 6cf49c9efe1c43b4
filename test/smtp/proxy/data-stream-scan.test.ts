import { describe, expect, it } from 'vitest';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { installDataStreamScan } from '../../../src/smtp/proxy/data-stream-scan.js';
import { prng } from '../../helpers/prng.js';

/**
 * The indexOf DATA scan must give exactly what smtp-server's byte loop gives, for any
 * message and any way TCP cuts it into chunks: dot-stuffing undone, the terminator found
 * wherever it falls, what follows it handed back as commands.
 */

type Feed = (this: unknown, chunk: Buffer, done: (err?: Error | null) => void) => void;
const proto = SMTPStream.prototype as unknown as { _feedDataStream: Feed };
const original = proto._feedDataStream;

/** Runs one DATA phase through an SMTPStream with the given scan: the data, and the commands after it. */
async function run(feed: Feed, wire: Buffer, cuts: number[]): Promise<{ data: Buffer; after: string[] }> {
  proto._feedDataStream = feed;
  try {
    const stream = new SMTPStream();
    const after: string[] = [];
    stream.oncommand = (command: Buffer, callback?: () => void) => {
      after.push(command.toString('latin1'));
      callback?.();
    };
    const data = stream.startDataMode();
    const chunks: Buffer[] = [];
    data.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => data.on('end', () => resolve()));
    // Written without waiting: after the terminator smtp-server holds its input until continue().
    let at = 0;
    for (const cut of [...cuts, wire.length]) {
      if (cut <= at) continue;
      stream.write(wire.subarray(at, cut));
      at = cut;
    }
    await ended;
    stream.continue();
    await new Promise((resolve) => setImmediate(resolve));
    stream.end();
    await new Promise((resolve) => setImmediate(resolve));
    return { data: Buffer.concat(chunks), after };
  } finally {
    proto._feedDataStream = original;
  }
}

describe('the DATA scan of the SMTP proxy', () => {
  it('is installed on the smtp-server version in package-lock.json', () => {
    expect(installDataStreamScan()).toBe(true);
    // Installed means replaced; the test puts each version in place itself below.
    expect(proto._feedDataStream).not.toBe(original);
  });

  it('matches smtp-server byte for byte on random dot-heavy messages cut at random places', async () => {
    installDataStreamScan();
    const fast = proto._feedDataStream;
    proto._feedDataStream = original;
    const random = prng(20261202);
    let quits = 0;
    let escapes = 0;
    const pieces = ['.', '..', '\r\n', '\n', '\r', 'a', 'xyz', '.\r\n', '\r\n.', '\r\n..', '\n.', ' '];
    for (let n = 0; n < 300; n++) {
      let body = '';
      const parts = 1 + Math.floor(random() * 60);
      for (let p = 0; p < parts; p++) body += pieces[Math.floor(random() * pieces.length)];
      // A message on the wire ends with CRLF "." CRLF; a command follows.
      const wire = Buffer.from(`${body}\r\n.\r\nQUIT\r\n`, 'latin1');
      const cuts = Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * wire.length)).sort((a, b) => a - b);
      const expected = await run(original, wire, cuts);
      const got = await run(fast, wire, cuts);
      expect(got.data.toString('latin1'), JSON.stringify({ body, cuts })).toBe(expected.data.toString('latin1'));
      expect(got.after).toEqual(expected.after);
      if (expected.after.includes('QUIT')) quits++;
      if (expected.data.length < wire.length - 10) escapes++;
    }
    // The cases reached what matters: the command after the data, and dots taken out.
    expect(quits).toBeGreaterThan(200);
    expect(escapes).toBeGreaterThan(100);
  });
});
