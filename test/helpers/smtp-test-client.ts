import net from 'node:net';

export interface Reply {
  readonly code: number;
  /** Whole reply, lines joined by "\n", without CRLF. */
  readonly text: string;
}

/**
 * A raw lock-step SMTP client for tests: sends exactly the bytes a test asks for and
 * returns each reply, so byte-exactness and reply pass-through are observed on the wire.
 */
export class SmtpTestClient {
  private buffer = '';
  private waiting: ((reply: Reply | Error) => void) | undefined;
  private replies: Reply[] = [];
  private closedError: Error | undefined;
  greeting!: Reply;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.parse();
    });
    socket.on('error', (err) => this.close(err));
    socket.on('close', () => this.close(new Error('connection closed')));
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<SmtpTestClient> {
    const socket = net.connect({ port, host, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new SmtpTestClient(socket);
    client.greeting = await client.next();
    return client;
  }

  /** Sends a command line and waits for its reply. */
  async command(line: string): Promise<Reply> {
    this.socket.write(line + '\r\n');
    return this.next();
  }

  /** DATA, then the message dot-stuffed (RFC 5321 §4.5.2) and the end mark; gives the final reply. */
  async data(message: Buffer): Promise<{ go: Reply; final?: Reply }> {
    const go = await this.command('DATA');
    if (go.code !== 354) return { go };
    this.socket.write(stuff(message));
    const endsWithCrlf = message.length >= 2 && message.subarray(-2).toString() === '\r\n';
    this.socket.write(message.length === 0 || endsWithCrlf ? '.\r\n' : '\r\n.\r\n');
    return { go, final: await this.next() };
  }

  /** EHLO, MAIL, each RCPT, DATA: the replies to all of them. */
  async send(from: string, to: string[], message: Buffer, helo = 'client.example'): Promise<{ mail: Reply; rcpt: Reply[]; data?: { go: Reply; final?: Reply } }> {
    await this.command(`EHLO ${helo}`);
    const mail = await this.command(`MAIL FROM:<${from}>`);
    const rcpt: Reply[] = [];
    for (const r of to) rcpt.push(await this.command(`RCPT TO:<${r}>`));
    if (!rcpt.some((r) => r.code === 250)) return { mail, rcpt };
    return { mail, rcpt, data: await this.data(message) };
  }

  /** Next reply the server sends (also unsolicited ones such as a 421). */
  next(): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting = (r) => (r instanceof Error ? reject(r) : resolve(r));
    });
  }

  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } catch {
      // already closed
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Raw bytes, no reply awaited (a slow client dripping its message). */
  write(bytes: string | Buffer): boolean {
    return this.socket.destroyed ? false : this.socket.write(bytes);
  }

  /** Resolves when the server closes the connection. */
  closed(): Promise<void> {
    if (this.closedError) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private parse(): void {
    for (;;) {
      const lines = this.buffer.split('\r\n');
      let end = -1;
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3}( |$)/.test(lines[i] ?? '')) {
          end = i;
          break;
        }
      }
      if (end === -1) return;
      const replyLines = lines.slice(0, end + 1);
      this.buffer = lines.slice(end + 1).join('\r\n');
      const reply: Reply = { code: Number(replyLines[0]?.slice(0, 3)), text: Buffer.from(replyLines.join('\n'), 'latin1').toString('utf8') };
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(reply);
      else this.replies.push(reply);
    }
  }

  private close(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(err);
  }
}

/** RFC 5321 §4.5.2 transparency, with lines ending at LF as smtp-server and Postfix read them. */
export function stuff(message: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  if (message[0] === 0x2e) parts.push(Buffer.from('.'));
  for (let at = message.indexOf('\n.'); at !== -1; at = message.indexOf('\n.', at + 1)) {
    parts.push(message.subarray(from, at + 1), Buffer.from('.'));
    from = at + 1;
  }
  parts.push(message.subarray(from));
  return Buffer.concat(parts);
}

/**
 * One whole delivery on a fresh connection (EHLO, MAIL, RCPT…, DATA, QUIT). Returns the
 * code of the reply that ended it: the final reply, or the MAIL/RCPT refusal.
 */
export async function deliver(port: number, from: string, to: string[], message: Buffer): Promise<number> {
  const client = await SmtpTestClient.connect(port);
  try {
    const r = await client.send(from, to, message);
    return r.data?.final?.code ?? r.data?.go.code ?? (r.mail.code === 250 ? (r.rcpt.find((x) => x.code !== 250)?.code ?? 0) : r.mail.code);
  } finally {
    await client.quit();
  }
}
