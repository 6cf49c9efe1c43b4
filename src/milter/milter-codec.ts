/**
 * The milter wire format: frames (`uint32 length` big-endian, counting the command byte and
 * the data, then `char command`, then data), and the typed commands and replies they carry.
 * Both directions are here, decode and encode, so that tests (and a fake MTA) can speak to
 * the session the way Postfix does. Pure functions over Buffers: no sockets, no state but
 * the frame reader's bytes in hand.
 *
 * Strings are NUL-terminated on the wire. Header names are read as latin1 and header values
 * and body chunks kept as bytes, so that the message rebuilt from them is byte for byte the
 * one the MTA received (8-bit header bytes included); addresses, host names and macro values
 * are UTF-8 (SMTPUTF8 mail).
 */
import * as C from './milter-constants.js';

/** One frame off the wire: its command byte and its data. */
export interface Frame {
  readonly command: string;
  readonly data: Buffer;
}

export type MilterCommand =
  | { readonly kind: 'optneg'; readonly version: number; readonly actions: number; readonly protocol: number }
  /** Macros for the event that follows; `stage` is that event's command letter. */
  | { readonly kind: 'macro'; readonly stage: string; readonly macros: ReadonlyArray<readonly [string, string]> }
  /** `family` SMFIA_*: U (unknown: no port, no address), L (unix socket), 4, 6. */
  | { readonly kind: 'connect'; readonly hostname: string; readonly family: string; readonly port: number; readonly address: string }
  | { readonly kind: 'helo'; readonly name: string }
  /** The MAIL FROM argument vector: `<address>` first, then ESMTP parameters. */
  | { readonly kind: 'mail'; readonly args: readonly string[] }
  | { readonly kind: 'rcpt'; readonly args: readonly string[] }
  | { readonly kind: 'data' }
  | { readonly kind: 'header'; readonly name: string; readonly value: Buffer }
  | { readonly kind: 'eoh' }
  | { readonly kind: 'body'; readonly chunk: Buffer }
  /** End of body; Sendmail before 8.14 could send a last chunk with it (empty otherwise). */
  | { readonly kind: 'eob'; readonly chunk: Buffer }
  | { readonly kind: 'abort' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'quit-nc' }
  | { readonly kind: 'unknown'; readonly command: string };

export type MilterReply =
  /** Our half of the negotiation, with the macro lists we want per stage (SMFIM_*). */
  | { readonly kind: 'optneg'; readonly version: number; readonly actions: number; readonly protocol: number; readonly macros?: ReadonlyArray<readonly [number, string]> }
  | { readonly kind: 'continue' | 'accept' | 'reject' | 'tempfail' | 'discard' | 'progress' | 'skip' | 'conn-fail' | 'shutdown' }
  /** A full SMTP reply, "550 5.7.1 text". */
  | { readonly kind: 'replycode'; readonly text: string }
  | { readonly kind: 'addheader'; readonly name: string; readonly value: string }
  /** Insert at `index` (0: before the first header). */
  | { readonly kind: 'insheader'; readonly index: number; readonly name: string; readonly value: string }
  /** Change the `index`-th (1-based) field of that name; an empty value deletes it. */
  | { readonly kind: 'chgheader'; readonly index: number; readonly name: string; readonly value: string }
  | { readonly kind: 'quarantine'; readonly reason: string }
  | { readonly kind: 'addrcpt' | 'delrcpt'; readonly rcpt: string }
  | { readonly kind: 'addrcpt-par'; readonly rcpt: string; readonly args: string }
  | { readonly kind: 'chgfrom'; readonly from: string; readonly args: string }
  | { readonly kind: 'replbody'; readonly chunk: Buffer };

/** Why a connection is closed: the MTA (or whoever is on the socket) broke the protocol. */
export class MilterProtocolError extends Error {
  constructor(
    /** A fixed token, for the log line and a metric label. */
    readonly reason: 'bad-length' | 'frame-too-large' | 'unknown-command' | 'missing-nul' | 'short-data' | 'trailing-data' | 'out-of-order' | 'limit',
    message: string,
  ) {
    super(message);
    this.name = 'MilterProtocolError';
  }
}

/**
 * Cuts a byte stream into frames. Holds at most one frame's bytes (and the 4-byte length
 * before it): a length over `maxFrame` is refused as soon as it is read, before any of its
 * data arrives, so a peer cannot make it buffer more.
 */
export class FrameReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being read (command + data), once its 4 bytes are in. */
  private length: number | undefined;

  constructor(private readonly maxFrame: number) {}

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds bytes; returns the frames now complete, in order. Throws MilterProtocolError. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.length === undefined) {
        if (this.buffered < 4) break;
        const length = this.peek(4).readUInt32BE(0);
        if (length < 1) throw new MilterProtocolError('bad-length', 'frame length 0 (it counts the command byte)');
        if (length > this.maxFrame) throw new MilterProtocolError('frame-too-large', `frame of ${length} bytes, over the ${this.maxFrame} byte limit`);
        this.length = length;
      }
      if (this.buffered < 4 + this.length) break;
      const bytes = this.take(4 + this.length);
      this.length = undefined;
      frames.push({ command: String.fromCharCode(bytes[4] ?? 0), data: bytes.subarray(5) });
    }
    return frames;
  }

  /** The first `n` buffered bytes without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.chunks.push(joined);
    return joined;
  }

  /** Consumes `n` bytes: a slice of the first chunk when it holds them, one concat otherwise. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const c = this.chunks[0];
      if (!c) throw new Error('FrameReader: fewer bytes than counted');
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    return Buffer.concat(parts, n);
  }
}

/** Reads the fields of one frame's data; every read is bounds-checked. */
class Fields {
  private pos = 0;
  constructor(private readonly data: Buffer) {}

  uint32(): number {
    if (this.pos + 4 > this.data.length) throw new MilterProtocolError('short-data', 'frame ends inside a 32-bit field');
    const v = this.data.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint16(): number {
    if (this.pos + 2 > this.data.length) throw new MilterProtocolError('short-data', 'frame ends inside a 16-bit field');
    const v = this.data.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  char(): string {
    if (this.pos + 1 > this.data.length) throw new MilterProtocolError('short-data', 'frame ends before a one-byte field');
    return String.fromCharCode(this.data[this.pos++] ?? 0);
  }

  /** A NUL-terminated string's bytes, the NUL consumed. */
  bytes(): Buffer {
    const nul = this.data.indexOf(0, this.pos);
    if (nul < 0) throw new MilterProtocolError('missing-nul', 'string without its terminating NUL');
    const b = this.data.subarray(this.pos, nul);
    this.pos = nul + 1;
    return b;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  get left(): number {
    return this.data.length - this.pos;
  }

  rest(): Buffer {
    const b = this.data.subarray(this.pos);
    this.pos = this.data.length;
    return b;
  }

  /** Every string up to the end (an argv). */
  strings(): string[] {
    const out: string[] = [];
    while (this.left > 0) out.push(this.string());
    return out;
  }

  end(): void {
    if (this.left > 0) throw new MilterProtocolError('trailing-data', `${this.left} bytes after the last field`);
  }
}

/** A frame from the MTA as a command. Throws MilterProtocolError for anything malformed. */
export function decodeCommand(frame: Frame): MilterCommand {
  const f = new Fields(frame.data);
  const done = <T>(command: T): T => {
    f.end();
    return command;
  };
  switch (frame.command) {
    case C.SMFIC_OPTNEG:
      // Later fields (none defined for v6) are ignored, as libmilter does.
      return { kind: 'optneg', version: f.uint32(), actions: f.uint32(), protocol: f.uint32() };
    case C.SMFIC_MACRO: {
      const stage = f.char();
      const macros: Array<readonly [string, string]> = [];
      while (f.left > 0) macros.push([f.string(), f.string()]);
      return { kind: 'macro', stage, macros };
    }
    case C.SMFIC_CONNECT: {
      const hostname = f.string();
      const family = f.char();
      if (family === C.SMFIA_UNKNOWN) return done({ kind: 'connect', hostname, family, port: 0, address: '' });
      const port = f.uint16();
      return done({ kind: 'connect', hostname, family, port, address: f.string() });
    }
    case C.SMFIC_HELO:
      return done({ kind: 'helo', name: f.string() });
    case C.SMFIC_MAIL:
      return { kind: 'mail', args: f.strings() };
    case C.SMFIC_RCPT:
      return { kind: 'rcpt', args: f.strings() };
    case C.SMFIC_DATA:
      return done({ kind: 'data' });
    case C.SMFIC_HEADER: {
      const name = f.bytes().toString('latin1');
      return done({ kind: 'header', name, value: f.bytes() });
    }
    case C.SMFIC_EOH:
      return done({ kind: 'eoh' });
    case C.SMFIC_BODY:
      return { kind: 'body', chunk: f.rest() };
    case C.SMFIC_BODYEOB:
      return { kind: 'eob', chunk: f.rest() };
    case C.SMFIC_ABORT:
      return done({ kind: 'abort' });
    case C.SMFIC_QUIT:
      return done({ kind: 'quit' });
    case C.SMFIC_QUIT_NC:
      return done({ kind: 'quit-nc' });
    case C.SMFIC_UNKNOWN:
      return done({ kind: 'unknown', command: f.string() });
    default:
      throw new MilterProtocolError('unknown-command', `unknown command 0x${frame.command.charCodeAt(0).toString(16).padStart(2, '0')}`);
  }
}

const SIMPLE_REPLIES = {
  continue: C.SMFIR_CONTINUE,
  accept: C.SMFIR_ACCEPT,
  reject: C.SMFIR_REJECT,
  tempfail: C.SMFIR_TEMPFAIL,
  discard: C.SMFIR_DISCARD,
  progress: C.SMFIR_PROGRESS,
  skip: C.SMFIR_SKIP,
  'conn-fail': C.SMFIR_CONN_FAIL,
  shutdown: C.SMFIR_SHUTDOWN,
} as const;

/** One reply as a frame on the wire. */
export function encodeReply(reply: MilterReply): Buffer {
  switch (reply.kind) {
    case 'optneg': {
      const macros = (reply.macros ?? []).flatMap(([stage, names]) => [uint32(stage), cstring(names)]);
      return frame(C.SMFIC_OPTNEG, [uint32(reply.version), uint32(reply.actions), uint32(reply.protocol), ...macros]);
    }
    case 'replycode':
      return frame(C.SMFIR_REPLYCODE, [cstring(reply.text)]);
    case 'addheader':
      return frame(C.SMFIR_ADDHEADER, [cstring(reply.name), cstring(reply.value)]);
    case 'insheader':
      return frame(C.SMFIR_INSHEADER, [uint32(reply.index), cstring(reply.name), cstring(reply.value)]);
    case 'chgheader':
      return frame(C.SMFIR_CHGHEADER, [uint32(reply.index), cstring(reply.name), cstring(reply.value)]);
    case 'quarantine':
      return frame(C.SMFIR_QUARANTINE, [cstring(reply.reason)]);
    case 'addrcpt':
      return frame(C.SMFIR_ADDRCPT, [cstring(reply.rcpt)]);
    case 'delrcpt':
      return frame(C.SMFIR_DELRCPT, [cstring(reply.rcpt)]);
    case 'addrcpt-par':
      return frame(C.SMFIR_ADDRCPT_PAR, [cstring(reply.rcpt), cstring(reply.args)]);
    case 'chgfrom':
      return frame(C.SMFIR_CHGFROM, [cstring(reply.from), cstring(reply.args)]);
    case 'replbody':
      return frame(C.SMFIR_REPLBODY, [reply.chunk]);
    default:
      return frame(SIMPLE_REPLIES[reply.kind], []);
  }
}

/** A frame from the filter as a reply (the MTA's side; tests and the fake MTA use it). */
export function decodeReply(frame: Frame): MilterReply {
  const f = new Fields(frame.data);
  const done = <T>(reply: T): T => {
    f.end();
    return reply;
  };
  switch (frame.command) {
    case C.SMFIC_OPTNEG: {
      const version = f.uint32();
      const actions = f.uint32();
      const protocol = f.uint32();
      const macros: Array<readonly [number, string]> = [];
      while (f.left > 0) macros.push([f.uint32(), f.string()]);
      return { kind: 'optneg', version, actions, protocol, macros };
    }
    case C.SMFIR_REPLYCODE:
      return done({ kind: 'replycode', text: f.string() });
    case C.SMFIR_ADDHEADER:
      return done({ kind: 'addheader', name: f.string(), value: f.string() });
    case C.SMFIR_INSHEADER:
      return done({ kind: 'insheader', index: f.uint32(), name: f.string(), value: f.string() });
    case C.SMFIR_CHGHEADER:
      return done({ kind: 'chgheader', index: f.uint32(), name: f.string(), value: f.string() });
    case C.SMFIR_QUARANTINE:
      return done({ kind: 'quarantine', reason: f.string() });
    case C.SMFIR_ADDRCPT:
      return done({ kind: 'addrcpt', rcpt: f.string() });
    case C.SMFIR_DELRCPT:
      return done({ kind: 'delrcpt', rcpt: f.string() });
    case C.SMFIR_ADDRCPT_PAR:
      return done({ kind: 'addrcpt-par', rcpt: f.string(), args: f.string() });
    case C.SMFIR_CHGFROM:
      return done({ kind: 'chgfrom', from: f.string(), args: f.string() });
    case C.SMFIR_REPLBODY:
      return { kind: 'replbody', chunk: f.rest() };
  }
  for (const [kind, letter] of Object.entries(SIMPLE_REPLIES)) {
    if (letter === frame.command) return done({ kind: kind as keyof typeof SIMPLE_REPLIES });
  }
  throw new MilterProtocolError('unknown-command', `unknown reply 0x${frame.command.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One command as a frame on the wire (the MTA's side; tests and the fake MTA use it). */
export function encodeCommand(command: MilterCommand): Buffer {
  switch (command.kind) {
    case 'optneg':
      return frame(C.SMFIC_OPTNEG, [uint32(command.version), uint32(command.actions), uint32(command.protocol)]);
    case 'macro':
      return frame(C.SMFIC_MACRO, [Buffer.from(command.stage, 'latin1'), ...command.macros.flatMap(([n, v]) => [cstring(n), cstring(v)])]);
    case 'connect':
      if (command.family === C.SMFIA_UNKNOWN) return frame(C.SMFIC_CONNECT, [cstring(command.hostname), Buffer.from(command.family, 'latin1')]);
      return frame(C.SMFIC_CONNECT, [cstring(command.hostname), Buffer.from(command.family, 'latin1'), uint16(command.port), cstring(command.address)]);
    case 'helo':
      return frame(C.SMFIC_HELO, [cstring(command.name)]);
    case 'mail':
      return frame(C.SMFIC_MAIL, command.args.map(cstring));
    case 'rcpt':
      return frame(C.SMFIC_RCPT, command.args.map(cstring));
    case 'data':
      return frame(C.SMFIC_DATA, []);
    case 'header':
      return frame(C.SMFIC_HEADER, [Buffer.from(command.name, 'latin1'), NUL, command.value, NUL]);
    case 'eoh':
      return frame(C.SMFIC_EOH, []);
    case 'body':
      return frame(C.SMFIC_BODY, [command.chunk]);
    case 'eob':
      return frame(C.SMFIC_BODYEOB, [command.chunk]);
    case 'abort':
      return frame(C.SMFIC_ABORT, []);
    case 'quit':
      return frame(C.SMFIC_QUIT, []);
    case 'quit-nc':
      return frame(C.SMFIC_QUIT_NC, []);
    case 'unknown':
      return frame(C.SMFIC_UNKNOWN, [cstring(command.command)]);
  }
}

const NUL = Buffer.from([0]);

function frame(command: string, parts: readonly Buffer[]): Buffer {
  const length = 1 + parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(length, 0);
  head[4] = command.charCodeAt(0);
  return Buffer.concat([head, ...parts], 4 + length);
}

function uint32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function uint16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n & 0xffff, 0);
  return b;
}

/** A string and its NUL; a NUL inside would end it early on the other side, so it is refused. */
function cstring(s: string): Buffer {
  if (s.includes('\0')) throw new Error('milter string with a NUL inside');
  return Buffer.concat([Buffer.from(s, 'utf8'), NUL]);
}
