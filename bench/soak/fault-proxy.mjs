// The fault injector between sekisho and the soak's sink: a TCP proxy that reads enough
// SMTP to fault at the moments that matter. Its mode changes over the run:
//   pass           bytes flow both ways
//   down           nothing listens (connect refused) and open connections are cut
//   refuse         connections are greeted "421" and closed, as by an overloaded MTA
//   stall          the sink's replies are held until the mode changes (sekisho's
//                  upstream timeouts fire first when the stall is long)
//   reset-in-data  a connection in its DATA content is reset part-way through the message
//   lose-ack       the sink's 250 to "." is swallowed and the connection reset: the next
//                  hop has the message, sekisho never hears so (the RFC 1047 case)
//   slow           each reply is delayed, still within sekisho's timeouts
// It records, by MAIL FROM, every message whose "." reached the sink while the sink's final
// reply never reached sekisho: those are the only messages the sink may hold although
// sekisho told its client 4xx, and the ledger accepts such a second copy for them only.
import net from 'node:net';
import { endOfData } from './soak-sink.mjs';

export const FAULT_MODES = ['pass', 'down', 'refuse', 'stall', 'reset-in-data', 'lose-ack', 'slow'];

export class FaultProxy {
  mode = 'pass';
  /** Fault actions taken, by kind. */
  faults = { 'down-periods': 0, 'cut-when-down': 0, refused: 0, stalled: 0, 'reset-in-data': 0, 'lost-ack': 0, slowed: 0 };
  /** MAIL FROM of each message whose "." went to the sink and whose final reply sekisho never got. */
  unacknowledged = new Set();
  #server;
  #port;
  #sinkPort;
  #conns = new Set();
  #listening = false;

  constructor(sinkPort) {
    this.#sinkPort = sinkPort;
  }

  static async start(sinkPort) {
    const proxy = new FaultProxy(sinkPort);
    await proxy.#listen(0);
    return proxy;
  }

  get port() {
    return this.#port;
  }

  /** Switches the fault mode; leaving `stall` lets the held replies through. */
  async setMode(mode) {
    if (!FAULT_MODES.includes(mode)) throw new Error(`unknown fault mode ${mode}`);
    const before = this.mode;
    this.mode = mode;
    if (before === 'stall' && mode !== 'stall') for (const c of this.#conns) this.#release(c);
    if (mode === 'down' && before !== 'down') {
      this.faults['down-periods']++;
      for (const c of this.#conns) {
        this.faults['cut-when-down']++;
        this.#close(c, true);
      }
      await new Promise((resolve) => this.#server.close(() => resolve()));
      this.#listening = false;
    }
    if (mode !== 'down' && !this.#listening) await this.#listen(this.#port);
  }

  async stop() {
    for (const c of this.#conns) this.#close(c, false);
    if (this.#listening) await new Promise((resolve) => this.#server.close(() => resolve()));
    this.#listening = false;
  }

  async #listen(port) {
    this.#server = net.createServer((socket) => this.#accept(socket));
    // The port is taken again after a "down" period; another process may have it for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise((resolve, reject) => {
          this.#server.once('error', reject);
          this.#server.listen(port, '127.0.0.1', () => {
            this.#server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (err.code !== 'EADDRINUSE' || attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.#port = this.#server.address().port;
    this.#listening = true;
  }

  #accept(down) {
    down.setNoDelay(true);
    down.on('error', () => undefined);
    if (this.mode === 'refuse') {
      this.faults.refused++;
      down.end('421 4.3.2 soak-sink Service not available, closing transmission channel\r\n');
      return;
    }
    const up = net.connect({ host: '127.0.0.1', port: this.#sinkPort, noDelay: true });
    up.on('error', () => undefined);
    const c = {
      down,
      up,
      /** What each reply to come answers: the greeting, a command verb, or a "." with its MAIL FROM. */
      expect: [{ verb: 'greeting' }],
      replyText: '',
      lineText: '',
      inData: false,
      dataTail: Buffer.alloc(0),
      dataBytes: 0,
      resetAt: undefined,
      mailFrom: undefined,
      held: [],
      stalled: false,
      sending: Promise.resolve(),
      closed: false,
    };
    this.#conns.add(c);
    down.on('data', (chunk) => this.#fromSekisho(c, chunk));
    up.on('data', (chunk) => this.#fromSink(c, chunk));
    down.on('close', () => this.#close(c, false));
    up.on('close', () => this.#close(c, false));
  }

  #fromSekisho(c, chunk) {
    if (c.closed) return;
    if (c.inData) return this.#content(c, chunk);
    c.lineText += chunk.toString('latin1');
    for (let lf = c.lineText.indexOf('\n'); lf !== -1; lf = c.lineText.indexOf('\n')) {
      const line = c.lineText.slice(0, lf).replace(/\r$/, '');
      c.lineText = c.lineText.slice(lf + 1);
      const verb = line.split(/[\s:]/, 1)[0].toUpperCase();
      if (verb === 'MAIL') c.mailFrom = /<([^>]*)>/.exec(line)?.[1];
      c.expect.push({ verb });
    }
    c.up.write(chunk);
  }

  #content(c, chunk) {
    if (c.resetAt !== undefined && c.dataBytes + chunk.length >= c.resetAt) {
      // Part of the message reaches the sink, never its end: it must keep none of it.
      c.up.write(chunk.subarray(0, Math.max(0, c.resetAt - c.dataBytes)));
      this.faults['reset-in-data']++;
      return this.#close(c, true);
    }
    c.dataBytes += chunk.length;
    const seen = Buffer.concat([c.dataTail, chunk]);
    const end = c.dataBytes === chunk.length ? endOfData(seen) : endAfterStart(seen);
    c.up.write(chunk);
    if (end === undefined) {
      c.dataTail = seen.subarray(Math.max(0, seen.length - 4));
      return;
    }
    c.inData = false;
    c.expect.push({ verb: '.', mailFrom: c.mailFrom });
  }

  #fromSink(c, chunk) {
    if (c.closed) return;
    if (c.stalled || this.mode === 'stall') {
      if (!c.stalled) this.faults.stalled++;
      c.stalled = true;
      c.held.push(chunk);
      return;
    }
    c.replyText += chunk.toString('latin1');
    for (;;) {
      const reply = takeReply(c.replyText);
      if (!reply) return;
      c.replyText = c.replyText.slice(reply.length);
      const answers = c.expect.shift() ?? { verb: '?' };
      const code = Number(reply.slice(0, 3));
      if (answers.verb === 'DATA' && code === 354) {
        c.inData = true;
        c.dataBytes = 0;
        c.dataTail = Buffer.alloc(0);
        c.resetAt = this.mode === 'reset-in-data' && Math.random() < 0.6 ? 1 + Math.floor(Math.random() * 4096) : undefined;
      }
      if (answers.verb === '.' && code === 250 && this.mode === 'lose-ack') {
        this.faults['lost-ack']++;
        this.unacknowledged.add(answers.mailFrom);
        return this.#close(c, true);
      }
      this.#forward(c, Buffer.from(reply, 'latin1'), answers);
    }
  }

  /** Replies go out in order; in `slow` mode each waits a little first. */
  #forward(c, bytes, answers) {
    const delay = this.mode === 'slow' ? 150 + Math.floor(Math.random() * 250) : 0;
    if (delay) this.faults.slowed++;
    c.sending = c.sending.then(async () => {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (c.closed || c.down.destroyed) {
        if (answers.verb === '.') this.unacknowledged.add(answers.mailFrom);
        return;
      }
      c.down.write(bytes);
    });
  }

  #release(c) {
    if (!c.stalled) return;
    c.stalled = false;
    const held = Buffer.concat(c.held);
    c.held = [];
    if (held.length > 0) this.#fromSink(c, held);
  }

  /** Ends both sides (reset when `abort`); a "." still awaiting its reply stays unacknowledged. */
  #close(c, abort) {
    if (c.closed) return;
    c.closed = true;
    this.#conns.delete(c);
    for (const pending of c.expect) if (pending.verb === '.') this.unacknowledged.add(pending.mailFrom);
    for (const socket of [c.down, c.up]) {
      if (abort && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}

/** The end of data when the content did not start in this buffer (only "\r\n.\r\n" counts). */
function endAfterStart(buffer) {
  const at = buffer.indexOf('\r\n.\r\n');
  return at === -1 ? undefined : { contentEnd: at + 2, next: at + 5 };
}

/** One whole reply (every line up to "ddd " or "ddd"), or undefined when it is not all in yet. */
function takeReply(text) {
  let from = 0;
  for (let lf = text.indexOf('\n', from); lf !== -1; lf = text.indexOf('\n', from)) {
    const line = text.slice(from, lf).replace(/\r$/, '');
    from = lf + 1;
    if (/^\d{3}( |$)/.test(line)) return text.slice(0, from);
  }
  return undefined;
}
