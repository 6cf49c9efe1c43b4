import { SmtpReply } from '../smtp-reply.js';
import type { MailCommand, NextHop, NextHopSession, RcptCommand, TransactionMeta } from './next-hop.js';
import { NextHopError } from './next-hop-error.js';
import { RelayClient, type RelayClientOptions } from './relay-client.js';
import { mailLine, needsSmtpUtf8, rcptLine, wirePath, xforwardLines } from './smtp-commands.js';

/** RFC 6531 §3.7.4.1: the path needs SMTPUTF8 and the next hop cannot take it. */
const NO_SMTPUTF8 = SmtpReply.of(553, '5.6.7', 'Non-ASCII address, but the next hop does not support SMTPUTF8');

export interface ConnectionCacheOptions {
  /** Idle connections kept for reuse; 0 opens a new connection for every client connection. */
  readonly maxIdle: number;
  /** How long an idle connection is kept (Postfix's smtp_connection_cache_time_limit is 2 s). */
  readonly idleMs: number;
}

/**
 * A next hop reached over SMTP (`smtp://host:port`), with a small cache of idle
 * connections as Postfix's own SMTP client keeps: connecting, greeting, EHLO and QUIT
 * cost more than relaying a small message. A cached connection holds one smtpd process
 * of the next hop, so the cache is small and short-lived (see docs/postfix.md).
 */
export class SmtpNextHop implements NextHop {
  readonly description: string;
  private readonly idle: Array<{ client: RelayClient; timer: NodeJS.Timeout }> = [];
  private closed = false;

  constructor(
    private readonly options: RelayClientOptions,
    private readonly cache: ConnectionCacheOptions = { maxIdle: 0, idleMs: 0 },
  ) {
    this.description = `smtp://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  }

  openSession(): NextHopSession {
    return new SmtpNextHopSession(this);
  }

  /** A connection ready for MAIL: a cached one when there is one, else a new one. */
  async acquire(): Promise<{ client: RelayClient; reused: boolean }> {
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      clearTimeout(entry.timer);
      if (entry.client.alive) return { client: entry.client, reused: true };
    }
    return { client: await this.connect(), reused: false };
  }

  connect(): Promise<RelayClient> {
    return RelayClient.open(this.options);
  }

  /** Takes back a connection with no transaction open; keeps it or says QUIT. */
  release(client: RelayClient): void {
    if (this.closed || !client.alive || this.idle.length >= this.cache.maxIdle) {
      void client.quit();
      return;
    }
    const entry = {
      client,
      timer: setTimeout(() => {
        const at = this.idle.indexOf(entry);
        if (at !== -1) this.idle.splice(at, 1);
        void client.quit();
      }, this.cache.idleMs),
    };
    entry.timer.unref();
    this.idle.push(entry);
  }

  /** No more reuse: cached connections are closed (shutdown, or replaced on reload). */
  async close(): Promise<void> {
    this.closed = true;
    const entries = this.idle.splice(0);
    for (const entry of entries) clearTimeout(entry.timer);
    await Promise.all(entries.map((entry) => entry.client.quit()));
  }
}

/**
 * One client connection's view of the next hop. A next-hop connection is taken at the
 * first MAIL FROM (Postfix before-queue semantics) and kept for the client's later
 * transactions; a transaction the client abandoned (RSET, or a DATA we never sent) is
 * reset before the next one, and XFORWARD is repeated before every MAIL because the next
 * hop forgets it after RSET or ".".
 */
class SmtpNextHopSession implements NextHopSession {
  private client: RelayClient | undefined;
  /** MAIL was accepted and the transaction has not ended yet. */
  private inTransaction = false;
  /**
   * The next hop may still hold transaction state: Postfix keeps it after refusing the
   * end of data, and answers the next MAIL with "503 nested MAIL command". Only a 2xx to
   * "." or to RSET makes the connection clean again.
   */
  private dirty = false;

  constructor(private readonly hop: SmtpNextHop) {}

  async mail(mail: MailCommand, meta: TransactionMeta): Promise<SmtpReply> {
    if (this.client && !this.client.alive) this.drop();
    let reused = false;
    if (!this.client) ({ client: this.client, reused } = await this.hop.acquire());
    // A connection from the cache may carry the state of another session's transaction.
    if (reused) this.dirty = true;
    try {
      const reply = await this.start(this.client, mail, meta);
      // A cached connection the next hop closed meanwhile (421 or a reset): nothing was
      // committed, so the transaction simply starts again on a fresh connection.
      if (!reused || reply.code !== 421) return reply;
    } catch (err) {
      if (!reused || !(err instanceof NextHopError) || err.kind !== 'dropped') throw err;
    }
    this.drop();
    this.client = await this.hop.connect();
    return this.start(this.client, mail, meta);
  }

  async rcpt(rcpt: RcptCommand): Promise<SmtpReply> {
    const client = this.openClient();
    if (!client.supports('SMTPUTF8') && needsSmtpUtf8(wirePath(rcpt.address))) return NO_SMTPUTF8;
    return this.guard(client, () => client.command(rcptLine(rcpt, client.extensions)));
  }

  async data(message: Buffer): Promise<SmtpReply> {
    const client = this.openClient();
    return this.guard(client, async () => {
      const go = await client.command('DATA');
      if (go.code !== 354) {
        this.inTransaction = false;
        return go;
      }
      const final = await client.sendMessage(message);
      this.inTransaction = false;
      if (final.isPositive) this.dirty = false;
      return final;
    });
  }

  async reset(): Promise<void> {
    const client = this.client;
    if (!client || !this.dirty) return;
    this.inTransaction = false;
    try {
      const reply = await client.command('RSET');
      if (reply.isPositive) this.dirty = false;
      else this.drop();
    } catch {
      this.drop();
    }
  }

  async close(): Promise<void> {
    if (this.dirty) await this.reset();
    const client = this.client;
    this.client = undefined;
    if (client) this.hop.release(client);
  }

  private async start(client: RelayClient, mail: MailCommand, meta: TransactionMeta): Promise<SmtpReply> {
    if (mail.smtpUtf8 && !client.supports('SMTPUTF8') && needsSmtpUtf8(wirePath(mail.address))) return NO_SMTPUTF8;
    return this.guard(client, async () => {
      const xforward = client.extensions.get('XFORWARD');
      // XFORWARD only feeds the next hop's logs and Received header: a refusal is no reason
      // to refuse the mail, so only the MAIL reply counts. Postfix's own client pipelines them.
      const lines = xforward === undefined ? [] : xforwardLines(meta.client, xforward);
      // RSET first when the connection may hold an earlier transaction (RFC 2920 lets it
      // lead a pipelined group, so with PIPELINING it costs no round trip).
      const reset = this.dirty ? ['RSET'] : [];
      const replies = await client.pipeline([...reset, ...lines, mailLine(mail, client.extensions)]);
      if (reset.length > 0 && !replies[0]?.isPositive) throw new NextHopError('protocol', `next hop refused RSET: ${replies[0]}`);
      const reply = replies[replies.length - 1] as SmtpReply;
      this.inTransaction = reply.isPositive;
      this.dirty = true;
      return reply;
    });
  }

  private openClient(): RelayClient {
    const client = this.client;
    if (!client || !this.inTransaction) {
      // smtp-server only lets RCPT and DATA through after an accepted MAIL, so this means
      // the next-hop connection was lost in between.
      throw new NextHopError('dropped', 'next hop connection was lost during the transaction');
    }
    return client;
  }

  /** A failed connection is dropped so the next transaction starts on a fresh one. */
  private async guard(client: RelayClient, step: () => Promise<SmtpReply>): Promise<SmtpReply> {
    try {
      const reply = await step();
      // 421: the next hop is closing the connection (RFC 5321 §3.8).
      if (reply.code === 421) this.drop();
      return reply;
    } catch (err) {
      if (this.client === client) this.drop();
      throw err;
    }
  }

  private drop(): void {
    this.client?.destroy();
    this.client = undefined;
    this.inTransaction = false;
    this.dirty = false;
  }
}
