// The soak's last hop: a small SMTP server on loopback that keeps every message it
// acknowledged. It is never faulted and never restarted: it is the record the ledger reads.
// A message counts as delivered once its 250 was written (the moment an MTA takes over
// responsibility, RFC 5321 §6.1), whatever happens to the connection afterwards.
import net from 'node:net';

const EHLO = ['soak-sink', 'PIPELINING', 'SIZE 104857600', '8BITMIME', 'ENHANCEDSTATUSCODES', 'XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE'];

export class SoakSink {
  /** { mailFrom, data } of every message acknowledged with 250, in order. */
  messages = [];
  connections = 0;
  #server;
  #sockets = new Set();
  #queued = 0;

  static async start() {
    const sink = new SoakSink();
    sink.#server = net.createServer((socket) => sink.#session(socket));
    await new Promise((resolve) => sink.#server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get port() {
    return this.#server.address().port;
  }

  async stop() {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #session(socket) {
    this.connections++;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let inData = false;
    let mailFrom;
    let rcpts = 0;
    const say = (line) => socket.destroyed || socket.write(`${line}\r\n`);
    const command = (line) => {
      const verb = line.split(/[\s:]/, 1)[0].toUpperCase();
      if (verb === 'EHLO') return say(EHLO.map((l, i) => `250${i < EHLO.length - 1 ? '-' : ' '}${l}`).join('\r\n'));
      if (verb === 'HELO' || verb === 'NOOP' || verb === 'XFORWARD') return say('250 2.0.0 Ok');
      if (verb === 'RSET') {
        mailFrom = undefined;
        rcpts = 0;
        return say('250 2.0.0 Ok');
      }
      if (verb === 'MAIL') {
        if (mailFrom !== undefined) return say('503 5.5.1 Error: nested MAIL command');
        mailFrom = /<([^>]*)>/.exec(line)?.[1] ?? '';
        return say('250 2.1.0 Ok');
      }
      if (verb === 'RCPT') {
        if (mailFrom === undefined) return say('503 5.5.1 Error: need MAIL command');
        rcpts++;
        return say('250 2.1.5 Ok');
      }
      if (verb === 'DATA') {
        if (rcpts === 0) return say('554 5.5.1 Error: no valid recipients');
        inData = true;
        return say('354 End data with <CR><LF>.<CR><LF>');
      }
      if (verb === 'QUIT') {
        say('221 2.0.0 Bye');
        return socket.end();
      }
      say('502 5.5.2 Error: command not recognized');
    };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          const end = endOfData(buffer);
          if (end === undefined) return;
          const data = unstuff(buffer.subarray(0, end.contentEnd));
          buffer = buffer.subarray(end.next);
          inData = false;
          if (socket.destroyed) return;
          this.messages.push({ mailFrom, data });
          mailFrom = undefined;
          rcpts = 0;
          say(`250 2.0.0 Ok: queued as S${(++this.#queued).toString(36).toUpperCase().padStart(8, '0')}`);
          continue;
        }
        const lf = buffer.indexOf(0x0a);
        if (lf === -1) return;
        const line = buffer.subarray(0, lf).toString('latin1').replace(/\r$/, '');
        buffer = buffer.subarray(lf + 1);
        command(line);
      }
    });
    say('220 soak-sink ESMTP');
  }
}

/** Where the content ends ("\r\n.\r\n", or ".\r\n" first thing) and the next command starts. */
export function endOfData(buffer) {
  if (buffer.length >= 3 && buffer[0] === 0x2e && buffer[1] === 0x0d && buffer[2] === 0x0a) return { contentEnd: 0, next: 3 };
  const at = buffer.indexOf('\r\n.\r\n');
  return at === -1 ? undefined : { contentEnd: at + 2, next: at + 5 };
}

/** RFC 5321 §4.5.2: a line-initial "." is dropped. */
function unstuff(content) {
  const parts = [];
  let from = content[0] === 0x2e ? 1 : 0;
  for (let at = content.indexOf('\n.', from); at !== -1; at = content.indexOf('\n.', at + 2)) {
    parts.push(content.subarray(from, at + 1));
    from = at + 2;
  }
  parts.push(content.subarray(from));
  return Buffer.concat(parts);
}
