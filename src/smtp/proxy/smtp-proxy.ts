import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { isAddressAllowed, type SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { ListenAddress } from '../../config/values.js';
import type { Logger } from '../../log/logger.js';
import type { FilterDeps } from '../../filter/filter-message.js';
import type { Inspector } from '../../filter/inspector.js';
import type { InflightBytes } from '../../message/inflight-bytes.js';
import type { PpapPairing } from '../../ppap/ppap-pairing.js';
import { MessageBuffers } from '../../message/message-buffers.js';
import type { Metrics, ReplyStage } from '../../metrics/metrics.js';
import type { Policy } from '../../policy/decide.js';
import type { TagSettings } from '../../policy/policy-config.js';
import type { QuarantineStore } from '../../quarantine/quarantine-store.js';
import type { NextHop } from '../next-hop/next-hop.js';
import { SmtpReplyError, type SmtpReply } from '../smtp-reply.js';
import { AcceptedReplyShape } from './accepted-reply-shape.js';
import { ClientConnection } from './client-connection.js';
import type { DeadlineSettings } from './client-deadline.js';
import { installDataStreamScan } from './data-stream-scan.js';
import { PerClientCounter } from './connection-limits.js';
import { hookReplyText, PromptSmtpServer, setHookReply } from './prompt-smtp-server.js';
import { INTERNAL_ERROR } from '../../filter/filter-replies.js';
import { SHUTTING_DOWN, TOO_MANY_FROM_CLIENT } from './proxy-replies.js';

/** The proxy's settings; all but the listen address can change on SIGHUP. */
export interface ProxySettings {
  readonly hostname: string;
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly maxRecipients: number;
  readonly idleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Deadlines a client cannot stretch (client-deadline.ts). */
  readonly deadlines: DeadlineSettings;
  readonly xforwardHosts: readonly string[];
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly policy: Policy;
  readonly tag: TagSettings;
}

type Callback = (err?: Error | null) => void;

/**
 * The inline SMTP proxy ingress: smtp-server speaks to the client, each connection's
 * {@link ClientConnection} relays to the next hop in lock-step. This file owns the
 * server's lifecycle: listening, limits, reconfiguration and the SIGTERM drain.
 */
export class SmtpProxy {
  private readonly server: PromptSmtpServer;
  private readonly connections = new Map<string, ClientConnection>();
  private readonly perClient = new PerClientCounter();
  private draining = false;
  private filterDeps: FilterDeps;
  private readonly buffers = new MessageBuffers();
  private readonly acceptedShape = new AcceptedReplyShape();

  constructor(
    private settings: ProxySettings,
    private nextHop: NextHop,
    quarantineStore: QuarantineStore,
    private readonly inspector: Inspector,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    /** Message bytes in flight in this process, shared with the milter (smtp.max_inflight_bytes). */
    private readonly inflight: InflightBytes,
    /** PPAP pairing over the quarantine store (docs/ppap.md). */
    private readonly ppap?: PpapPairing,
  ) {
    this.filterDeps = this.filterDepsOf(settings, quarantineStore);
    if (!installDataStreamScan()) this.logger.debug({ event: 'data-stream-scan' }, "smtp-server's DATA scan left as it is (not the version it was written for)");
    this.server = new PromptSmtpServer(this.serverOptions(settings));
    this.server.on('error', (err: Error) => this.logger.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'smtp connection error'));
  }

  async listen(address: ListenAddress): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.server.once('error', onError);
      this.server.listen(address.port, address.host, () => {
        this.server.server.off('error', onError);
        resolve();
      });
    });
    // Lock-step replies are small writes that each wait for an answer: Nagle's delay
    // would add up to 40 ms to every one of them.
    this.server.server.on('connection', (socket) => socket.setNoDelay(true));
    return this.server.server.address() as AddressInfo;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * New settings and next hop from a reloaded configuration. Connections already open keep
   * the next-hop session they have; new connections and new limits use the new values.
   */
  reconfigure(settings: ProxySettings, nextHop: NextHop, quarantineStore: QuarantineStore): void {
    this.filterDeps = this.filterDepsOf(settings, quarantineStore);
    const options = this.server.options;
    const fresh = this.serverOptions(settings);
    options.size = fresh.size;
    options.maxClients = fresh.maxClients;
    options.maxRecipients = fresh.maxRecipients;
    options.socketTimeout = fresh.socketTimeout;
    options.useXForward = fresh.useXForward;
    options.name = fresh.name;
    options.disabledCommands = fresh.disabledCommands ?? [];
    if (settings.tls && (settings.tls.cert !== this.settings.tls?.cert || settings.tls.key !== this.settings.tls?.key)) {
      this.server.updateSecureContext({ key: settings.tls.key, cert: settings.tls.cert });
    }
    this.settings = settings;
    const previous = this.nextHop;
    this.nextHop = nextHop;
    // Sessions opened before keep using the old next hop; its cache closes now, and
    // connections they hand back afterwards are closed instead of cached.
    if (previous !== nextHop) void previous.close();
  }

  /**
   * SIGTERM: stop accepting, say 421 to idle clients, let transactions in flight finish
   * (each connection is closed right after its final reply), and after the grace period
   * cut whatever is left with 421. Cut then, a transaction is still sending its message
   * or before it: nothing was taken, the client was not told 250 and will retry. A
   * message already whole is not cut: it is being judged, quarantined or relayed, and a
   * 421 could come after the next hop's 250 (the client would send it twice). Those get
   * their true reply, bounded by the inspection deadline and the next-hop timeouts, and at
   * most smtp.timeouts.transaction more.
   */
  async drain(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.server.close(() => resolve()));
    const deadline = Date.now() + this.settings.shutdownGraceMs;
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 50));
    while (this.server.connections.size > 0 && Date.now() < deadline) {
      for (const connection of this.server.connections) {
        const client = this.connections.get(connection.id);
        if (!client?.inTransaction) this.hangUp(connection);
      }
      await sleep();
    }
    const deciding = (connection: SMTPConnection) => this.connections.get(connection.id)?.deciding === true;
    for (const connection of this.server.connections) if (!deciding(connection)) this.hangUp(connection);
    const last = Date.now() + this.settings.deadlines.transactionMs;
    while ([...this.server.connections].some(deciding) && Date.now() < last) await sleep();
    for (const connection of this.server.connections) this.hangUp(connection);
    await closed;
    await this.nextHop.close();
  }

  private filterDepsOf(settings: ProxySettings, quarantine: QuarantineStore): FilterDeps {
    return { ingress: 'smtp', inspector: this.inspector, policy: settings.policy, tag: settings.tag, quarantine, metrics: this.metrics, logger: this.logger, editBytes: true, ppap: this.ppap };
  }

  private hangUp(connection: SMTPConnection): void {
    connection.send(SHUTTING_DOWN.code, SHUTTING_DOWN.message);
    connection.close();
  }

  private serverOptions(settings: ProxySettings): SMTPServerOptions {
    return {
      name: settings.hostname,
      banner: 'sekisho',
      size: settings.maxMessageBytes,
      maxClients: settings.maxConnections,
      maxRecipients: settings.maxRecipients,
      socketTimeout: settings.idleTimeoutMs,
      closeTimeout: settings.shutdownGraceMs,
      // The next hop resolves and checks the client itself (we pass it on by XFORWARD).
      disableReverseLookup: true,
      // Postfix forwards MAIL/RCPT it accepted unmodified; judging syntax is the next hop's job.
      lenientAddressParsing: true,
      // Passed on when the next hop supports them (docs/postfix.md).
      hideDSN: false,
      // Kept hidden on purpose: smtp-server would then put its own enhanced code in front
      // of the next hop's, and the client must see the next hop's reply unchanged.
      hideENHANCEDSTATUSCODES: true,
      useXForward: [...settings.xforwardHosts],
      // Without a certificate of our own, smtp-server would offer STARTTLS with its
      // built-in test key, whose private half is public.
      disabledCommands: settings.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(settings.tls ? { key: settings.tls.key, cert: settings.tls.cert } : {}),
      // smtp-server's own log is per command and goes through a formatting wrapper even when
      // the level is off; our transaction line and the 'error' events say what matters.
      logger: false,
      onConnect: (session, callback) => this.onConnect(session, callback),
      onMailFrom: (address, session, callback) => this.hook('mail', session, callback, (c) => c.mail(address)),
      onRcptTo: (address, session, callback) => this.hook('rcpt', session, callback, (c) => c.rcpt(address)),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
      onClose: (session) => this.onClose(session),
    };
  }

  private onConnect(session: SMTPServerSession, callback: Callback): void {
    if (this.draining) return this.refuseConnection(SHUTTING_DOWN, callback);
    const ip = session.remoteAddress;
    // An MTA in front of us (Postfix, trusted for XFORWARD) brings every client from one
    // address: its own limits (smtpd_client_connection_count_limit) apply there, ours would
    // only make it answer "451 queue file write error" to innocent clients.
    const counted = !isAddressAllowed([...this.settings.xforwardHosts], ip);
    if (counted && !this.perClient.tryAcquire(ip, this.settings.maxConnectionsPerIp)) {
      this.logger.warn({ event: 'connection-refused', ip, reason: 'max_connections_per_ip' }, 'too many connections from client');
      return this.refuseConnection(TOO_MANY_FROM_CLIENT, callback);
    }
    this.metrics.smtpConnections.inc();
    this.metrics.smtpActiveConnections.inc();
    this.connections.set(session.id, new ClientConnection(session, ip, counted, this.nextHop.openSession(), {
      logger: this.logger,
      nextHopDescription: this.nextHop.description,
      maxMessageBytes: () => this.settings.maxMessageBytes,
      filter: () => this.filterDeps,
      buffers: this.buffers,
      metrics: this.metrics,
      acceptedShape: this.acceptedShape,
      deadlines: () => this.settings.deadlines,
      inflight: this.inflight,
      hangUp: (reply) => {
        for (const connection of this.server.connections) {
          if (connection.id !== session.id) continue;
          connection.send(reply.code, reply.message);
          connection.close();
        }
      },
    }));
    this.metrics.smtpReplies.inc({ stage: 'connect', class: '2xx' });
    callback();
  }

  private refuseConnection(reply: SmtpReply, callback: Callback): void {
    this.metrics.smtpReplies.inc({ stage: 'connect', class: reply.codeClass });
    callback(new SmtpReplyError(reply));
  }

  private onClose(session: SMTPServerSession): void {
    const client = this.connections.get(session.id);
    if (!client) return;
    this.connections.delete(session.id);
    this.metrics.smtpActiveConnections.dec();
    if (client.countedForLimit) this.perClient.release(client.peerAddress);
    client.closed().catch((err: unknown) => this.logger.error({ err }, 'closing next-hop session failed'));
  }

  private hook(stage: ReplyStage, session: SMTPServerSession, callback: Callback, step: (client: ClientConnection) => Promise<SmtpReply>): void {
    const client = this.connections.get(session.id);
    if (!client) return this.answer(stage, session, INTERNAL_ERROR, callback);
    if (this.draining && session.envelope.mailFrom === false && !client.busy) {
      // A new transaction during shutdown: 421 closes the connection, the client retries later.
      return this.answer(stage, session, SHUTTING_DOWN, callback);
    }
    client
      .run(step(client))
      .then((reply) => this.answer(stage, session, reply, callback))
      .catch((err: unknown) => {
        this.logger.error({ err, conn: session.id }, 'proxy hook failed');
        this.answer(stage, session, INTERNAL_ERROR, callback);
      });
  }

  private onData(stream: Readable, session: SMTPServerSession, callback: (err: Error | null, message?: string) => void): void {
    const client = this.connections.get(session.id);
    if (!client) {
      stream.resume();
      return callback(new SmtpReplyError(INTERNAL_ERROR));
    }
    client
      .run(client.data(stream))
      .catch((err: unknown): SmtpReply => {
        this.logger.error({ err, conn: session.id }, 'DATA handling failed');
        stream.resume();
        return INTERNAL_ERROR;
      })
      .then((reply) => {
        this.metrics.smtpReplies.inc({ stage: 'data', class: reply.codeClass });
        setHookReply(session, reply);
        if (reply.isPositive) callback(null, hookReplyText(reply));
        else callback(new SmtpReplyError(reply));
      });
  }

  /** Hands a hook's reply to smtp-server, to be sent as it is (see setHookReply). */
  private answer(stage: ReplyStage, session: SMTPServerSession, reply: SmtpReply, callback: Callback): void {
    this.metrics.smtpReplies.inc({ stage, class: reply.codeClass });
    setHookReply(session, reply);
    callback(reply.isPositive ? null : new SmtpReplyError(reply));
  }
}
