// The soak's SMTP clients: lock-step senders that record, for each transaction, the reply
// that ended it and whether the "." had been sent (only then can a message exist anywhere),
// and the slow clients an attacker runs. Loopback only: the port is always 127.0.0.1's.
import net from 'node:net';

const REPLY_TIMEOUT_MS = 90_000;

/** One connection to 127.0.0.1:port that reads replies as they come. */
class Wire {
  #socket;
  #text = '';
  #waiting;
  #replies = [];
  #closed;

  static open(port) {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      const wire = new Wire(socket);
      socket.once('connect', () => resolve(wire));
      socket.once('error', () => resolve(undefined));
    });
  }

  constructor(socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => {
      this.#text += chunk.toString('latin1');
      this.#parse();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.(undefined);
      this.#waiting = undefined;
    });
  }

  /** The next reply ({ code, text }), or undefined when the connection closed or went silent. */
  next(timeoutMs = REPLY_TIMEOUT_MS) {
    const ready = this.#replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        this.destroy();
        resolve(undefined);
      }, timeoutMs);
      this.#waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  }

  async command(line) {
    this.write(`${line}\r\n`);
    return this.next();
  }

  write(bytes) {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  get closed() {
    return this.#closed === true;
  }

  destroy() {
    this.#socket.destroy();
  }

  #parse() {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3})(?: [^\n]*)?\r?\n/.exec(this.#text);
      if (!m) return;
      this.#text = this.#text.slice(m[0].length);
      const reply = { code: Number(m[1]), text: m[0].trimEnd() };
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) waiting(reply);
      else this.#replies.push(reply);
    }
  }
}

/** RFC 5321 §4.5.2 transparency and the end mark. */
export function stuffed(message) {
  const text = message.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(`${text}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `transactions` ({ mailFrom, message, paceBytesPerSecond? }) one after the other on
 * one connection. Each gets { outcome: '250' | '4xx' | '5xx' | 'none', phase, code, text,
 * afterDot }: `none` is no reply at all (the connection died or went silent), `afterDot`
 * says the whole message had been sent when the transaction ended.
 */
export async function sendSession(port, transactions) {
  const results = [];
  const none = (phase, afterDot = false) => ({ outcome: 'none', phase, afterDot });
  const wire = await Wire.open(port);
  const greeting = wire && (await wire.next());
  if (!wire || greeting?.code !== 220) {
    wire?.destroy();
    return transactions.map(() => (greeting ? { ...classify(greeting), phase: 'greeting', afterDot: false } : none('connect')));
  }
  const ehlo = await wire.command('EHLO soak-client.example');
  if (ehlo?.code !== 250) {
    wire.destroy();
    return transactions.map(() => (ehlo ? { ...classify(ehlo), phase: 'ehlo', afterDot: false } : none('ehlo')));
  }
  for (const tx of transactions) {
    if (wire.closed) {
      results.push(none('connect'));
      continue;
    }
    results.push(await transaction(wire, tx, none));
  }
  if (!wire.closed) await wire.command('QUIT');
  wire.destroy();
  return results;
}

async function transaction(wire, tx, none) {
  const ended = (reply, phase, afterDot = false) => (reply ? { ...classify(reply), phase, afterDot } : none(phase, afterDot));
  const mail = await wire.command(`MAIL FROM:<${tx.mailFrom}>`);
  if (mail?.code !== 250) return ended(mail, 'mail');
  const rcpt = await wire.command('RCPT TO:<user@example.net>');
  if (rcpt?.code !== 250) {
    await wire.command('RSET');
    return ended(rcpt, 'rcpt');
  }
  const go = await wire.command('DATA');
  if (go?.code !== 354) return ended(go, 'data');
  const bytes = stuffed(tx.message);
  if (tx.paceBytesPerSecond) {
    // A slow but honest client (a phone on a bad link): steady, above smtp.min_data_rate.
    const piece = Math.max(1, Math.floor(tx.paceBytesPerSecond / 10));
    for (let at = 0; at < bytes.length - 5 && !wire.closed; at += piece) {
      wire.write(bytes.subarray(at, Math.min(at + piece, bytes.length - 5)));
      await sleep(100);
    }
    wire.write(bytes.subarray(bytes.length - 5));
  } else {
    wire.write(bytes);
  }
  return ended(await wire.next(), 'final', true);
}

function classify(reply) {
  const outcome = reply.code >= 200 && reply.code < 300 ? '250' : reply.code >= 400 && reply.code < 500 ? '4xx' : '5xx';
  return { outcome, code: reply.code, text: reply.text };
}

/**
 * A slowloris client. `rate`: drips one byte at a time, below smtp.min_data_rate; `data`:
 * sends above the rate, but a message that never ends within smtp.timeouts.data;
 * `transaction`: keeps the transaction open with NOOPs before DATA, past
 * smtp.timeouts.transaction. Returns { cut, ms, reply }: whether sekisho cut it at a
 * deadline (421 4.4.2; a 421 4.3.2 of a shutdown is not that), and how long after the
 * clock started (354, or MAIL for `transaction`).
 */
export async function slowloris(port, kind, mailFrom, giveUpMs) {
  const wire = await Wire.open(port);
  if (!wire || (await wire.next())?.code !== 220) {
    wire?.destroy();
    return { cut: false, reply: 'no greeting' };
  }
  await wire.command('EHLO slowloris.example');
  if ((await wire.command(`MAIL FROM:<${mailFrom}>`))?.code !== 250) return finish(wire, undefined, undefined, 'MAIL refused');
  const mailAt = performance.now();
  if (kind === 'transaction') {
    for (;;) {
      const reply = await wire.command('NOOP');
      if (!reply || reply.code !== 250) return finish(wire, reply, performance.now() - mailAt);
      if (performance.now() - mailAt > giveUpMs) return finish(wire, undefined, undefined, 'never cut');
      await sleep(1000);
    }
  }
  if ((await wire.command('RCPT TO:<user@example.net>'))?.code !== 250) return finish(wire, undefined, undefined, 'RCPT refused');
  if ((await wire.command('DATA'))?.code !== 354) return finish(wire, undefined, undefined, 'DATA refused');
  const dataAt = performance.now();
  wire.write(`Message-ID: <${mailFrom}>\r\nSubject: slow\r\n\r\n`);
  const replied = wire.next(giveUpMs + 5000);
  let reply;
  let repliedAt = 0;
  void replied.then((r) => {
    reply = r ?? null;
    repliedAt = performance.now();
  });
  while (reply === undefined && performance.now() - dataAt < giveUpMs) {
    wire.write(kind === 'rate' ? 'x' : 'x'.repeat(60) + '\r\n');
    await sleep(kind === 'rate' ? 400 : 100);
  }
  await Promise.race([replied, sleep(10)]);
  if (reply === undefined) return finish(wire, undefined, undefined, 'never cut');
  return finish(wire, reply, repliedAt - dataAt);
}

/** Ends a slowloris run with sekisho's `reply` (or undefined: it closed), or with `cut` false and why. */
function finish(wire, reply, ms, why) {
  wire.destroy();
  if (why !== undefined) return { cut: false, reply: why };
  const cut = /^421 4\.4\.2 /.test(reply?.text ?? '');
  return { cut, ms, reply: cut ? reply.text : (reply?.text.slice(0, 40) ?? 'closed') };
}
