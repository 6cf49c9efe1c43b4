import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

/**
 * smtp-server's DATA phase looks for line-initial dots (escapes and the final ".") with a
 * JavaScript loop over every byte of the message. For 1 MB messages that is the longest
 * stretch the event loop spends on one message; the same search with Buffer.indexOf for
 * "\n." runs in native code and touches the JavaScript side only where a dot starts a line.
 *
 * This replaces SMTPStream#_feedDataStream with the same algorithm (smtp-server 3.21.6,
 * MIT licence, lib/smtp-stream.js) except for that search, and only when the installed
 * version still has the loop it was written against; otherwise smtp-server's own stays.
 * test/smtp/proxy/byte-exact.test.ts and the dot-stuffing tests cover both.
 */

type Done = (err?: Error | null) => void;
type Stream = InstanceType<typeof SMTPStream>;

const END_SEQUENCE = Buffer.from('\r\n.\r\n');
const DOT_TERMINATOR = Buffer.from('.\r\n');
const LF_DOT = Buffer.from('\n.');

/** The shape of the original this replacement was checked against. */
const ORIGINAL_MARKERS = ['for (i = 2; i < len - 2; i++)', 'chunk[i] === 0x2e && chunk[i - 1] === 0x0a', '_atDataStart', '_lastBytes'];

function feedDataStream(this: Stream, input: Buffer, done: Done): void {
  // Only called in data mode, which always has a stream.
  const dataStream = this._dataStream;
  if (!dataStream) return done();
  let chunk = input;
  if (this._lastBytes && this._lastBytes.length) {
    chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
  let len = chunk.length;
  // The data must not start with the terminator when it is the very start of DATA (a
  // single "." line sent as ".." had its escape stripped already: then it is content).
  if (this._atDataStart && len >= 3 && chunk.subarray(0, 3).equals(DOT_TERMINATOR)) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === 0x2e && chunk[1] === 0x2e) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // Every "\n." with the dot at i in [2, len - 2): what the original loop visits.
  for (let lf = chunk.indexOf(LF_DOT, 1); lf !== -1 && lf + 1 < len - 2; lf = chunk.indexOf(LF_DOT, lf + 1)) {
    const i = lf + 1;
    if (chunk.subarray(i - 2, i + 3).equals(END_SEQUENCE)) {
      const buf = chunk.subarray(0, i);
      this._countDataBytes(buf.length);
      this._endDataMode(buf, chunk.subarray(i + 3), done);
      return;
    }
    if (chunk[i + 1] === 0x2e) {
      const buf = chunk.subarray(0, i);
      this._lastBytes = false;
      this._countDataBytes(buf.length);
      if (dataStream.writable) dataStream.write(buf);
      const rest = chunk.subarray(i + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  // Keep the last bytes: a terminator may straddle this chunk and the next.
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length >= chunk.length) return done();
  const buf = chunk.subarray(0, chunk.length - this._lastBytes.length);
  this._countDataBytes(buf.length);
  if (!dataStream.writable) return done();
  const handled = dataStream.write(buf);
  if (handled || dataStream.destroyed) return done();
  // A stream that the application destroys never drains, it only closes.
  const onDrain = () => {
    dataStream.removeListener('drain', onDrain);
    dataStream.removeListener('close', onDrain);
    done();
  };
  dataStream.once('drain', onDrain);
  dataStream.once('close', onDrain);
}

let installed: boolean | undefined;

/** Puts the indexOf search in place once per process; false when smtp-server's own stays. */
export function installDataStreamScan(): boolean {
  if (installed !== undefined) return installed;
  const proto = SMTPStream.prototype as unknown as { _feedDataStream: (chunk: Buffer, done: Done) => void };
  const source = proto._feedDataStream.toString();
  installed = ORIGINAL_MARKERS.every((m) => source.includes(m));
  if (installed) proto._feedDataStream = feedDataStream;
  return installed;
}
