import { describe, expect, it } from 'vitest';
import { decodeCommand, decodeReply, encodeCommand, encodeReply, FrameReader, MilterProtocolError, type MilterCommand, type MilterReply } from '../../src/milter/milter-codec.js';
import * as C from '../../src/milter/milter-constants.js';
import { prng } from '../helpers/prng.js';

/** Every command an MTA sends, with the fields Postfix fills in. */
const COMMANDS: MilterCommand[] = [
  { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff },
  { kind: 'macro', stage: C.SMFIC_CONNECT, macros: [['j', 'mx.example.jp'], ['{client_addr}', '192.0.2.1']] },
  { kind: 'macro', stage: C.SMFIC_BODYEOB, macros: [] },
  { kind: 'connect', hostname: 'mail.example.com', family: C.SMFIA_INET, port: 40123, address: '192.0.2.1' },
  { kind: 'connect', hostname: 'mail6.example.com', family: C.SMFIA_INET6, port: 25, address: '2001:db8::1' },
  { kind: 'connect', hostname: 'localhost', family: C.SMFIA_UNIX, port: 0, address: '/var/run/x.sock' },
  { kind: 'connect', hostname: 'unknown', family: C.SMFIA_UNKNOWN, port: 0, address: '' },
  { kind: 'helo', name: 'mail.example.com' },
  { kind: 'mail', args: ['<a@example.com>', 'SIZE=1234', 'BODY=8BITMIME'] },
  { kind: 'mail', args: ['<>'] },
  { kind: 'rcpt', args: ['<用户@例子.example>', 'NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;b+2Bc@example.net'] },
  { kind: 'data' },
  { kind: 'header', name: 'Subject', value: Buffer.from(' =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\n\tsecond line') },
  { kind: 'header', name: 'X-8bit', value: Buffer.from([0x20, 0x82, 0xa0, 0xff]) },
  { kind: 'eoh' },
  { kind: 'body', chunk: Buffer.from('line 1\r\n.\r\nline 3\r\n\0 nul inside\r\n') },
  { kind: 'body', chunk: Buffer.alloc(C.MILTER_CHUNK_SIZE, 0x61) },
  { kind: 'eob', chunk: Buffer.alloc(0) },
  { kind: 'abort' },
  { kind: 'quit' },
  { kind: 'quit-nc' },
  { kind: 'unknown', command: 'XYZZY plugh' },
];

/** Every reply a filter sends. */
const REPLIES: MilterReply[] = [
  { kind: 'optneg', version: 6, actions: C.SMFIF_ADDHDRS | C.SMFIF_CHGHDRS, protocol: C.SMFIP_NR_HDR | C.SMFIP_HDR_LEADSPC, macros: [[C.SMFIM_CONNECT, 'j {client_addr}'], [C.SMFIM_EOM, 'i']] },
  { kind: 'optneg', version: 2, actions: 0, protocol: 0, macros: [] },
  { kind: 'continue' },
  { kind: 'accept' },
  { kind: 'reject' },
  { kind: 'tempfail' },
  { kind: 'discard' },
  { kind: 'progress' },
  { kind: 'skip' },
  { kind: 'conn-fail' },
  { kind: 'shutdown' },
  { kind: 'replycode', text: '550 5.7.1 Office documents with macros are not accepted' },
  { kind: 'addheader', name: 'Subject', value: ' [SUSPICIOUS] hello' },
  { kind: 'insheader', index: 0, name: 'X-Sekisho-Verdict', value: ' malicious' },
  { kind: 'chgheader', index: 2, name: 'x-sekisho-verdict', value: '' },
  { kind: 'chgheader', index: 1, name: 'Subject', value: ' [詐欺の疑い] 件名\n\tfolded' },
  { kind: 'quarantine', reason: 'sekisho abc malicious macro/vba-in-ole' },
  { kind: 'addrcpt', rcpt: '<x@example.com>' },
  { kind: 'delrcpt', rcpt: '<y@example.com>' },
  { kind: 'addrcpt-par', rcpt: '<x@example.com>', args: 'NOTIFY=NEVER' },
  { kind: 'chgfrom', from: '<z@example.com>', args: '' },
  { kind: 'replbody', chunk: Buffer.from('new body\r\n') },
];

function framesOf(bytes: Buffer, maxFrame = 1 << 20) {
  return new FrameReader(maxFrame).push(bytes);
}

describe('milter codec: round trips', () => {
  it.each(COMMANDS.map((c) => [c.kind, c] as const))('command %s: encode → frame → decode gives it back', (_, command) => {
    const frames = framesOf(encodeCommand(command));
    expect(frames).toHaveLength(1);
    expect(decodeCommand(frames[0]!)).toEqual(command);
  });

  it.each(REPLIES.map((r) => [r.kind, r] as const))('reply %s: encode → frame → decode gives it back', (_, reply) => {
    const frames = framesOf(encodeReply(reply));
    expect(frames).toHaveLength(1);
    expect(decodeReply(frames[0]!)).toEqual(reply);
  });

  it('writes the wire format of milter8.c: uint32 length counting the command byte, then the command, NUL-terminated strings', () => {
    expect(encodeReply({ kind: 'continue' })).toEqual(Buffer.from([0, 0, 0, 1, 0x63]));
    expect(encodeReply({ kind: 'replycode', text: '550 5.7.1 no' })).toEqual(Buffer.concat([Buffer.from([0, 0, 0, 14, 0x79]), Buffer.from('550 5.7.1 no\0')]));
    expect(encodeReply({ kind: 'insheader', index: 0, name: 'X', value: ' y' })).toEqual(Buffer.from([0, 0, 0, 10, 0x69, 0, 0, 0, 0, 0x58, 0, 0x20, 0x79, 0]));
    expect(encodeCommand({ kind: 'connect', hostname: 'h', family: '4', port: 25, address: '1.2.3.4' })).toEqual(
      Buffer.concat([Buffer.from([0, 0, 0, 14, 0x43, 0x68, 0, 0x34, 0, 25]), Buffer.from('1.2.3.4\0')]),
    );
  });

  it('reassembles frames split at every byte, and several frames in one chunk', () => {
    const stream = Buffer.concat(COMMANDS.map(encodeCommand));
    const reader = new FrameReader(1 << 20);
    const out = [];
    for (let i = 0; i < stream.length; i++) out.push(...reader.push(stream.subarray(i, i + 1)));
    expect(out.map(decodeCommand)).toEqual(COMMANDS);
    expect(reader.pending).toBe(0);
    expect(framesOf(stream).map(decodeCommand)).toEqual(COMMANDS);
  });
});

describe('milter codec: malformed input', () => {
  const raw = (command: string, data: Buffer | string, length?: number) => {
    const d = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const head = Buffer.alloc(5);
    head.writeUInt32BE(length ?? d.length + 1, 0);
    head[4] = command.charCodeAt(0);
    return Buffer.concat([head, d]);
  };
  const reason = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      if (err instanceof MilterProtocolError) return err.reason;
      throw err;
    }
    return 'no error';
  };

  it('refuses a length of 0 and a length over the maximum before reading its data', () => {
    expect(reason(() => new FrameReader(1024).push(Buffer.from([0, 0, 0, 0])))).toBe('bad-length');
    // Only the 4 length bytes arrived: the reader refuses without waiting for 4 GB.
    expect(reason(() => new FrameReader(1024).push(Buffer.from([0xff, 0xff, 0xff, 0xff])))).toBe('frame-too-large');
    expect(reason(() => new FrameReader(1024).push(raw('B', Buffer.alloc(1024))))).toBe('frame-too-large');
    expect(new FrameReader(1024).push(raw('B', Buffer.alloc(1023)))).toHaveLength(1);
  });

  it('names each kind of malformed command', () => {
    const decode = (b: Buffer) => decodeCommand(framesOf(b)[0]!);
    expect(reason(() => decode(raw('Z', '')))).toBe('unknown-command');
    expect(reason(() => decode(raw('H', 'no nul')))).toBe('missing-nul');
    expect(reason(() => decode(raw('L', 'Subject\0value without nul')))).toBe('missing-nul');
    expect(reason(() => decode(raw('M', '<a@b>\0SIZE=1')))).toBe('missing-nul');
    expect(reason(() => decode(raw('O', Buffer.from([0, 0, 0, 6, 0, 0]))))).toBe('short-data');
    expect(reason(() => decode(raw('C', 'host\0' + '4' + '\x00')))).toBe('short-data');
    expect(reason(() => decode(raw('T', 'x')))).toBe('trailing-data');
    expect(reason(() => decode(raw('H', 'a\0b\0')))).toBe('trailing-data');
  });

  it('fuzz: 5,000 mutated frames (seeded) either decode or throw MilterProtocolError, nothing else', () => {
    const rnd = prng(0x5e4150);
    const valid = COMMANDS.map(encodeCommand);
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const base = Buffer.from(valid[Math.floor(rnd() * valid.length)]!);
      const mutations = 1 + Math.floor(rnd() * 4);
      let bytes = base;
      for (let m = 0; m < mutations; m++) {
        const op = rnd();
        const at = Math.floor(rnd() * bytes.length);
        if (op < 0.4) bytes[at] = Math.floor(rnd() * 256);
        else if (op < 0.6) bytes = bytes.subarray(0, at);
        else if (op < 0.8) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(rnd() * 256)]), bytes.subarray(at)]);
        else bytes = Buffer.concat([bytes, bytes.subarray(0, Math.floor(rnd() * 16))]);
      }
      try {
        for (const frame of new FrameReader(4096).push(bytes)) decodeCommand(frame);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(MilterProtocolError);
        refused++;
      }
    }
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    expect(decoded).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });
});
