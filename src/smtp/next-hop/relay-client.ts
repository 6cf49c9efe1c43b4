import net from 'node:net';
import tls from 'node:tls';
import { dotStuff, endOfData } from '../dot-stuffing.js';
import type { SmtpReply } from '../smtp-reply.js';
import { NextHopError } from './next-hop-error.js';
import { ReplyReader, ReplySyntaxError } from './reply-reader.js';

export interface RelayTlsOptions {
  /** `opportunistic`: STARTTLS when offered; `required`: refuse a next hop without it; `never`. */
  readonly starttls: 'opportunistic' | 'required' | 'never';
  /** Check the next hop's certificate (chain and name). On by default: a failed check is a tempfail, never a silent fallback to plaintext. */
  readonly verify: boolean;
  /** PEM bundle to trust instead of the system store. */
  readonly ca?: string;
  /** Name to check the certificate against and to send as SNI; defaults to the host. */
  readonly servername?: string;
}

export interface RelayClientOptions {
  readonly host: string;
  readonly port: number;
  /** Our name in EHLO. */
  readonly heloName: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** Wait for the reply to the final "." (RFC 5321 §4.5.3.2.6 allows 10 min; keep under Postfix's smtpd_proxy_timeout). */
  readonly dataTimeoutMs: number;
  readonly tls: RelayTlsOptions;
}

interface Waiter {
  resolve(reply: SmtpReply): void;
  reject(error: NextHopError): void;
  timer?: NodeJS.Timeout;
}

/**
 * A small lock-step SMTP client for relaying one client's transactions to the next hop:
 * one command, one reply, so each reply can be handed back to the client before it sends
 * its next command (nodemailer's client sends the whole envelope at once and has no
 * XFORWARD, which is why this exists).
 *
 * Any failure (refused connect, timeout, reset, garbage, TLS) rejects with a
 * {@link NextHopError} and leaves the client dead; callers open a new one.
 */
export class RelayClient {
  /** EHLO keywords (upper case) and their parameters, from the last EHLO. */
  readonly extensions = new Map<string, string>();
  private socket: net.Socket;
  private readonly reader = new ReplyReader();
  /** Replies awaited, in the order the commands were sent (more than one only when pipelining). */
  private readonly waiters: Waiter[] = [];
  private failure: NextHopError | undefined;
  private readonly listeners = {
    data: (chunk: Buffer) => this.onData(chunk),
    error: (err: Error) => this.failed || this.fail(new NextHopError('dropped', `connection error: ${err.message}`, { cause: err })),
    close: () => this.failed || this.fail(new NextHopError('dropped', 'connection closed by next hop')),
  };

  private constructor(
    socket: net.Socket,
    private readonly options: RelayClientOptions,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Connects, reads the greeting, says EHLO (HELO as fallback) and does STARTTLS per options. */
  static async open(options: RelayClientOptions): Promise<RelayClient> {
    const socket = await connect(options);
    const client = new RelayClient(socket, options);
    try {
      const greeting = await client.awaitReply('greeting', options.commandTimeoutMs);
      if (greeting.code !== 220) throw new NextHopError('refused', `next hop greeted with ${greeting}`);
      await client.hello();
      const offered = client.extensions.has('STARTTLS');
      if (options.tls.starttls !== 'never' && offered) await client.startTls();
      else if (options.tls.starttls === 'required') throw new NextHopError('tls', 'STARTTLS is required but the next hop does not offer it');
      return client;
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  private get failed(): boolean {
    return this.failure !== undefined;
  }

  supports(keyword: string): boolean {
    return this.extensions.has(keyword);
  }

  /** Sends one command line and waits for its reply. */
  command(line: string, timeoutMs = this.options.commandTimeoutMs): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = this.awaitReply(line.split(' ', 1)[0] ?? line, timeoutMs);
    this.socket.write(line + '\r\n');
    return reply;
  }

  /**
   * Sends several commands in one write and gives their replies in order: RFC 2920
   * pipelining, for next hops that advertise PIPELINING. Saves round trips and system
   * calls where no reply needs to be seen before the next command is sent.
   */
  async pipeline(lines: readonly string[]): Promise<SmtpReply[]> {
    if (this.failure) throw this.failure;
    if (!this.supports('PIPELINING') || lines.length < 2) {
      const replies: SmtpReply[] = [];
      for (const line of lines) replies.push(await this.command(line));
      return replies;
    }
    const replies = lines.map((line) => this.queueReply(line.split(' ', 1)[0] ?? line, this.options.commandTimeoutMs));
    this.socket.write(lines.join('\r\n') + '\r\n');
    return Promise.all(replies);
  }

  /**
   * After a 354: sends the message dot-stuffed and the end mark, then waits for the final
   * reply. The data timeout starts once the last byte is handed to the kernel, so a big
   * message on a slow link is not cut short; while it is being written, a stalled next
   * hop is caught by the command timeout as inactivity.
   */
  sendMessage(message: Buffer): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    const socket = this.socket;
    const reply = this.awaitReply('end of data', undefined);
    const waiter = this.waiters[0];
    const onStall = () => this.fail(new NextHopError('timeout', `next hop stopped reading the message for ${this.options.commandTimeoutMs} ms`));
    socket.setTimeout(this.options.commandTimeoutMs, onStall);
    socket.cork();
    for (const piece of dotStuff(message)) socket.write(piece);
    socket.write(endOfData(message), () => {
      socket.setTimeout(0);
      socket.off('timeout', onStall);
      if (waiter && this.waiters[0] === waiter) this.armTimer(waiter, 'end of data', this.options.dataTimeoutMs);
    });
    socket.uncork();
    return reply;
  }

  /** Polite goodbye; never throws. The connection is gone afterwards either way. */
  async quit(): Promise<void> {
    if (this.failure) return;
    try {
      await this.command('QUIT', Math.min(this.options.commandTimeoutMs, 5000));
    } catch {
      // The next hop may close before answering QUIT; nothing is lost at this point.
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.fail(CLOSED_BY_US);
  }

  private async hello(): Promise<void> {
    const ehlo = await this.command(`EHLO ${this.options.heloName}`);
    this.extensions.clear();
    if (ehlo.code === 250) {
      for (const line of ehlo.lines.slice(1)) {
        const [keyword = '', ...params] = line.trim().split(/\s+/);
        if (keyword) this.extensions.set(keyword.toUpperCase(), params.join(' '));
      }
      return;
    }
    // RFC 5321 §3.2: a server that does not know EHLO answers 5xx; fall back to HELO.
    if (ehlo.isPermanent) {
      const helo = await this.command(`HELO ${this.options.heloName}`);
      if (helo.code === 250) return;
      throw new NextHopError('refused', `next hop refused HELO: ${helo}`);
    }
    throw new NextHopError('refused', `next hop refused EHLO: ${ehlo}`);
  }

  private async startTls(): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) {
      if (this.options.tls.starttls === 'required') throw new NextHopError('tls', `next hop refused STARTTLS: ${reply}`);
      return;
    }
    const plain = this.socket;
    this.detach(plain);
    const { verify, ca, servername } = this.options.tls;
    const name = servername ?? this.options.host;
    const secure = tls.connect({
      socket: plain,
      host: name,
      servername: net.isIP(name) ? undefined : name,
      rejectUnauthorized: verify,
      ca,
    });
    this.socket = secure;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        secure.destroy();
        reject(new NextHopError('timeout', 'TLS handshake with next hop timed out'));
      }, this.options.commandTimeoutMs);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.off('error', onError);
        resolve();
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        secure.destroy();
        const hint = verify ? ' (trust its CA with smtp.upstream_tls.ca, or set smtp.upstream_tls.verify: false; for a loopback next hop starttls: never)' : '';
        reject(new NextHopError('tls', `TLS with next hop failed: ${err.message}${hint}`, { cause: err }));
      };
      secure.once('error', onError);
    });
    this.attach(secure);
    // RFC 3207 §4.2: forget what was learnt before TLS and ask again.
    await this.hello();
  }

  private awaitReply(what: string, timeoutMs: number | undefined): Promise<SmtpReply> {
    if (this.waiters.length > 0) return Promise.reject(new NextHopError('protocol', `internal: ${what} issued while a reply is pending`));
    return this.queueReply(what, timeoutMs);
  }

  /** `timeoutMs` undefined: no timer yet (the caller arms one later). */
  private queueReply(what: string, timeoutMs: number | undefined): Promise<SmtpReply> {
    return new Promise<SmtpReply>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) this.armTimer(waiter, what, timeoutMs);
    });
  }

  private armTimer(waiter: Waiter, what: string, timeoutMs: number): void {
    clearTimeout(waiter.timer);
    waiter.timer = setTimeout(() => this.fail(new NextHopError('timeout', `no reply to ${what} from next hop within ${timeoutMs} ms`)), timeoutMs);
  }

  private onData(chunk: Buffer): void {
    let replies: SmtpReply[];
    try {
      replies = this.reader.push(chunk);
    } catch (err) {
      const message = err instanceof ReplySyntaxError ? err.message : String(err);
      this.fail(new NextHopError('protocol', `next hop: ${message}`, { cause: err }));
      return;
    }
    for (const reply of replies) {
      const waiter = this.waiters.shift();
      if (!waiter) {
        // Lock-step: a reply nobody asked for is either a 421 before closing (RFC 5321
        // §3.8) or a next hop out of step. Either way this connection is done.
        this.fail(new NextHopError(reply.code === 421 ? 'dropped' : 'protocol', `unexpected reply from next hop: ${reply}`));
        return;
      }
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    }
  }

  private fail(error: NextHopError): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.listeners.data);
    socket.on('error', this.listeners.error);
    socket.on('close', this.listeners.close);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.listeners.data);
    socket.off('error', this.listeners.error);
    socket.off('close', this.listeners.close);
  }
}

/** The failure of a client we closed ourselves: made once, a normal QUIT builds no Error. */
const CLOSED_BY_US = new NextHopError('dropped', 'connection closed');

function connect(options: RelayClientOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NextHopError('connect', `no connection to next hop ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new NextHopError('connect', `cannot connect to next hop ${options.host}:${options.port}: ${err.code ?? err.message}`, { cause: err }));
    };
    socket.once('error', onError);
  });
}
