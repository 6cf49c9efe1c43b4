#!/usr/bin/env node
// A milter that does nothing (reference path of bench/milter-bench.mjs): it reads every
// packet Postfix sends, headers and body included, and answers ACCEPT at end of message.
// What Postfix + this costs against Postfix alone is what any milter costs on this machine
// before it looks at a byte: the floor under sekisho's and Rspamd's figures.
//
// It asks for no replies to connect, HELO, MAIL, RCPT, headers, end of headers and body
// (SMFIP_NR_*) and no unknown commands, as sekisho's milter does, but it does take the
// DATA event and answers it. Without that (SMFIP_NODATA, or SMFIP_NR_DATA) every message
// waits ~40 ms here: smtpd's last packets on the milter connection before cleanup takes it
// over (the DATA-stage macros) get no reply, so nothing acknowledges them at once, and
// cleanup's first write (the header packets) sits behind them (Nagle's algorithm on
// Postfix's side, the milter's delayed ACK on the other) until the delayed ACK fires.
// A reply to DATA carries the ACK. Seen with a packet trace of Postfix 3.7 on this
// machine: one session, ~50 ms per message with NODATA, ~4 ms without.
//
//   node bench/noop-milter.mjs PORT     # listens on 127.0.0.1:PORT until SIGTERM
import net from 'node:net';

// SMFIP_* flags (the libmilter names; src/milter/milter-constants.ts has them all).
// DATA (T, SMFIP_NR_DATA = 0x10000) is not among them: see above.
const NO_REPLY = { C: 0x1000, H: 0x2000, M: 0x4000, R: 0x8000, U: 0x20000, L: 0x80, N: 0x40000, B: 0x80000 };
const NOT_SENT = 0x100; // SMFIP_NOUNKNOWN
const WANTED = Object.values(NO_REPLY).reduce((a, b) => a | b, NOT_SENT);

function packet(command, data = Buffer.alloc(0)) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(data.length + 1, 0);
  head[4] = command.charCodeAt(0);
  return Buffer.concat([head, data]);
}

function session(socket) {
  let buffer = Buffer.alloc(0);
  let protocol = 0;
  socket.on('data', (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    while (buffer.length >= 5) {
      const length = buffer.readUInt32BE(0);
      if (buffer.length < 4 + length) break;
      const command = String.fromCharCode(buffer[4]);
      const data = buffer.subarray(5, 4 + length);
      buffer = buffer.subarray(4 + length);
      if (command === 'O') {
        // SMFIC_OPTNEG: version 6, no actions, the offered flags we want.
        protocol = data.readUInt32BE(8) & WANTED;
        const reply = Buffer.alloc(12);
        reply.writeUInt32BE(6, 0);
        reply.writeUInt32BE(0, 4);
        reply.writeUInt32BE(protocol, 8);
        socket.write(packet('O', reply));
      } else if (command === 'E') socket.write(packet('a')); // end of message → SMFIR_ACCEPT
      else if (command === 'Q') socket.end();
      else if (command === 'D' || command === 'A') continue; // macros, abort: no reply
      else if ((protocol & (NO_REPLY[command] ?? 0)) === 0) socket.write(packet('c')); // SMFIR_CONTINUE
    }
  });
  socket.on('error', () => socket.destroy());
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node bench/noop-milter.mjs PORT');
  process.exit(2);
}
const server = net.createServer(session);
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
