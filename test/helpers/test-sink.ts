import net from 'node:net';
import tls from 'node:tls';

/**
 * A next hop for tests: a raw SMTP server on a real socket (port 0) written without
 * smtp-server, so a bug shared by the proxy's receiving library cannot hide in both ends.
 * Every behaviour a fault test needs is a knob; every message it accepts is recorded
 * with its envelope and exact content.
 */

export interface ReceivedMessage {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** MAIL and RCPT lines exactly as received. */
  readonly mailLine: string;
  readonly rcptLines: readonly string[];
  readonly xforward: readonly string[];
  /** Content after removing SMTP transparency dots, terminator excluded. */
  readonly data: Buffer;
  readonly tls: boolean;
}

/** A fault for one transaction, chosen by its MAIL FROM (see SinkBehaviour.faultFor). */
export type TransactionFault =
  /** Reset the TCP connection once part of the message content has arrived. */
  | 'reset-in-data'
  /** Answer the final "." only after `slowMs`. */
  | 'slow-final-reply'
  /** Answer RCPT only after `slowMs`. */
  | 'slow-rcpt'
  /** Close the connection (FIN) instead of answering DATA. */
  | 'close-at-data'
  /** 451 to the final ".". */
  | 'tempfail-data'
  /** 554 to the final ".". */
  | 'reject-data';

export interface SinkBehaviour {
  /** Per-transaction fault, looked up at MAIL FROM. */
  faultFor?: (mailFrom: string) => TransactionFault | undefined;
  /** Delay for the slow-* faults. */
  slowMs?: number;
  /** EHLO keywords after the greeting line. */
  extensions?: string[];
  /** Reply to RCPT TO for an address; default "250 2.1.5 Ok". */
  rcptReply?: (address: string) => string;
  /** Reply to MAIL FROM; default "250 2.1.0 Ok". */
  mailReply?: (line: string) => string;
  /** Final reply after "."; default "250 2.0.0 Ok: queued as <n>". */
  dataReply?: (message: ReceivedMessage) => string;
  /** Greeting; default "220 sink ESMTP". */
  greeting?: string;
  /** Wait this long before the final reply to ".". */
  dataReplyDelayMs?: number;
  /** Wait this long before replying to these commands (upper-case verb). */
  commandDelayMs?: Partial<Record<string, number>>;
  /** Reset the connection after this many bytes of DATA content have arrived. */
  resetAfterDataBytes?: number;
  /** Close the connection right after the greeting. */
  closeAfterGreeting?: boolean;
  /**
   * A connection that already carried a transaction goes stale: at the next MAIL the sink
   * resets it (as a server that timed the connection out), or answers 421 and closes.
   */
  staleAfterTransaction?: 'reset' | '421';
  /** Offer STARTTLS with this key/cert. */
  tls?: { key: string; cert: string };
}

export class TestSink {
  readonly messages: ReceivedMessage[] = [];
  /** Every command line received, in order, across connections. */
  readonly commands: string[] = [];
  connections = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(public behaviour: SinkBehaviour) {
    this.server = net.createServer((socket) => this.session(socket));
  }

  static async start(behaviour: SinkBehaviour = {}): Promise<TestSink> {
    const sink = new TestSink(behaviour);
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Connections open now (a proxy's cached next-hop sessions included). */
  get openConnections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private session(plain: net.Socket): void {
    this.connections++;
    plain.setNoDelay(true);
    let socket: net.Socket = plain;
    this.sockets.add(plain);
    plain.on('close', () => this.sockets.delete(plain));
    plain.on('error', () => undefined);
    const b = () => this.behaviour;
    let buffer = Buffer.alloc(0);
    let mode: 'command' | 'data' | 'closed' = 'command';
    let secure = false;
    let mailFrom = '';
    let mailLine = '';
    let rcptTo: string[] = [];
    let rcptLines: string[] = [];
    let xforward: string[] = [];
    let queued = 0;
    let busy = false;
    let fault: TransactionFault | undefined;
    let completed = 0;

    const write = (line: string) => {
      if (!socket.destroyed) socket.write(line + '\r\n');
    };
    const later = (ms: number | undefined, fn: () => void) => (ms ? setTimeout(fn, ms) : fn());
    const resetTx = () => {
      fault = undefined;
      mailFrom = '';
      mailLine = '';
      rcptTo = [];
      rcptLines = [];
    };

    const onCommand = (line: string) => {
      this.commands.push(line);
      const verb = (line.split(/[\s:]/, 1)[0] ?? '').toUpperCase();
      const delay = verb === 'RCPT' && fault === 'slow-rcpt' ? b().slowMs : b().commandDelayMs?.[verb];
      const reply = (text: string) => later(delay, () => write(text));
      switch (verb) {
        case 'EHLO': {
          const ext = [...(b().extensions ?? DEFAULT_EXTENSIONS)];
          if (b().tls && !secure) ext.push('STARTTLS');
          const lines = ['sink', ...ext];
          reply(lines.map((l, i) => `250${i < lines.length - 1 ? '-' : ' '}${l}`).join('\r\n'));
          return;
        }
        case 'HELO':
          return reply('250 sink');
        case 'STARTTLS': {
          const material = b().tls;
          if (!material || secure) return reply('454 4.7.0 TLS not available');
          write('220 2.0.0 Ready to start TLS');
          plain.removeListener('data', onData);
          const tlsSocket = new tls.TLSSocket(plain, { isServer: true, key: material.key, cert: material.cert });
          tlsSocket.on('error', () => undefined);
          tlsSocket.on('data', onData);
          socket = tlsSocket;
          secure = true;
          buffer = Buffer.alloc(0);
          return;
        }
        case 'XFORWARD':
          xforward.push(line);
          return reply('250 2.0.0 Ok');
        case 'MAIL': {
          const stale = completed > 0 ? b().staleAfterTransaction : undefined;
          if (stale === 'reset') {
            mode = 'closed';
            plain.resetAndDestroy();
            return;
          }
          if (stale === '421') {
            write('421 4.4.2 sink Error: timeout exceeded');
            mode = 'closed';
            socket.end();
            return;
          }
          // Like Postfix: a transaction stays open until "." is accepted or RSET, also
          // after the end of data was refused.
          if (mailFrom !== '' || mailLine !== '') return reply('503 5.5.1 Error: nested MAIL command');
          resetTx();
          const r = b().mailReply?.(line) ?? '250 2.1.0 Ok';
          if (r.startsWith('2')) {
            mailLine = line;
            mailFrom = /<([^>]*)>/.exec(line)?.[1] ?? '';
            fault = b().faultFor?.(mailFrom);
          }
          return reply(r);
        }
        case 'RCPT': {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const r = b().rcptReply?.(address) ?? '250 2.1.5 Ok';
          if (r.startsWith('2')) {
            rcptTo.push(address);
            rcptLines.push(line);
          }
          return reply(r);
        }
        case 'DATA':
          if (rcptTo.length === 0) return reply('554 5.5.1 Error: no valid recipients');
          if (fault === 'close-at-data') {
            mode = 'closed';
            socket.end();
            return;
          }
          later(b().commandDelayMs?.['DATA'], () => {
            write('354 End data with <CR><LF>.<CR><LF>');
            mode = 'data';
          });
          return;
        case 'RSET':
          resetTx();
          xforward = [];
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          write('221 2.0.0 Bye');
          mode = 'closed';
          socket.end();
          return;
        default:
          return reply('502 5.5.2 Error: command not recognized');
      }
    };

    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      pump();
    };

    const pump = () => {
      while (!busy && mode !== 'closed') {
        if (mode === 'command') {
          const lf = buffer.indexOf(0x0a);
          if (lf === -1) return;
          const line = buffer.subarray(0, lf).toString('utf8').replace(/\r$/, '');
          buffer = buffer.subarray(lf + 1);
          onCommand(line);
          continue;
        }
        const limit = fault === 'reset-in-data' ? 64 : b().resetAfterDataBytes;
        if (limit !== undefined && buffer.length >= limit) {
          mode = 'closed';
          plain.resetAndDestroy();
          return;
        }
        const end = findEnd(buffer);
        if (end === -1) return;
        const content = unstuff(buffer.subarray(0, end.contentEnd));
        buffer = buffer.subarray(end.next);
        mode = 'command';
        const message: ReceivedMessage = { mailFrom, rcptTo, mailLine, rcptLines, xforward, data: content, tls: secure };
        busy = true;
        const txFault = fault;
        later(txFault === 'slow-final-reply' ? b().slowMs : b().dataReplyDelayMs, () => {
          busy = false;
          if (socket.destroyed) return; // the proxy gave up: the message was never acknowledged
          const r =
            txFault === 'tempfail-data'
              ? '451 4.3.0 Error: queue file write error'
              : txFault === 'reject-data'
                ? '554 5.7.1 Rejected by sink'
                : (b().dataReply?.(message) ?? `250 2.0.0 Ok: queued as Q${++queued}`);
          if (r.startsWith('2')) {
            this.messages.push(message);
            resetTx();
            xforward = [];
          }
          completed++;
          write(r);
          pump();
        });
      }
    };

    plain.on('data', onData);
    write(b().greeting ?? '220 sink ESMTP');
    if (b().closeAfterGreeting) plain.end();
  }
}

export const DEFAULT_EXTENSIONS = ['PIPELINING', 'SIZE 104857600', '8BITMIME', 'DSN', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE'];

/** Finds "\r\n.\r\n" (or ".\r\n" at the very start): content ends after that CRLF. */
function findEnd(buffer: Buffer): { contentEnd: number; next: number } | -1 {
  if (buffer.length >= 3 && buffer[0] === 0x2e && buffer[1] === 0x0d && buffer[2] === 0x0a) return { contentEnd: 0, next: 3 };
  const at = buffer.indexOf('\r\n.\r\n');
  return at === -1 ? -1 : { contentEnd: at + 2, next: at + 5 };
}

/** RFC 5321 §4.5.2: a line-initial "." is removed (lines end at LF, as in Postfix). */
function unstuff(content: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  if (content[0] === 0x2e) from = 1;
  for (let at = content.indexOf('\n.', from); at !== -1; at = content.indexOf('\n.', at + 2)) {
    parts.push(content.subarray(from, at + 1));
    from = at + 2;
  }
  parts.push(content.subarray(from));
  return Buffer.concat(parts);
}
