import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { MilterListen } from '../config/values.js';
import type { FilterDeps } from '../filter/filter-message.js';
import type { Inspector } from '../filter/inspector.js';
import type { Logger } from '../log/logger.js';
import type { InflightBytes } from '../message/inflight-bytes.js';
import type { PpapPairing } from '../ppap/ppap-pairing.js';
import { MessageBuffers } from '../message/message-buffers.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Policy } from '../policy/decide.js';
import type { TagSettings } from '../edit/tag-settings.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import { decodeCommand, encodeReply, FrameReader, MilterProtocolError, type Frame, type MilterReply } from './milter-codec.js';
import { MilterSession, type MilterSettings } from './milter-session.js';

/** The milter server's settings; all but the listen address can change on SIGHUP. */
export interface MilterServerSettings extends MilterSettings {
  readonly maxConnections: number;
  /** The MTA silent this long on an open connection: closed (Postfix reconnects per SMTP session). */
  readonly idleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly policy: Policy;
  readonly tag: TagSettings;
}

/**
 * The largest frame read. Body chunks are at most 65,535 bytes (MILTER_CHUNK_SIZE) and a
 * header is at most Postfix's header_size_limit (100 KiB by default); 1 MiB leaves room for
 * an MTA configured larger and still bounds what one connection can make us buffer.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

let connectionCounter = 0;

/**
 * The milter ingress: listens on TCP or a unix socket, one {@link MilterSession} per MTA
 * connection. This file owns the sockets: framing, back-pressure while an end of message
 * is filtered, limits, timeouts and the SIGTERM drain. Malformed input closes that one
 * connection with one log line; nothing an MTA sends can throw out of here.
 */
export class MilterServer {
  private readonly server: net.Server;
  private readonly sockets = new Map<net.Socket, MilterSession>();
  private readonly buffers = new MessageBuffers();
  private filterDeps: FilterDeps;
  private draining = false;
  private unixPath: string | undefined;

  constructor(
    private settings: MilterServerSettings,
    quarantineStore: QuarantineStore,
    private readonly inspector: Inspector,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly inflight: InflightBytes,
    /** PPAP pairing, when sekisho keeps the quarantine (milter.quarantine: store). */
    private readonly ppap?: PpapPairing,
  ) {
    this.filterDeps = this.filterDepsOf(settings, quarantineStore);
    this.server = net.createServer((socket) => this.accept(socket));
    metrics.initMilter();
  }

  /** Starts listening; returns what to log ("127.0.0.1:8891", "unix:/run/sekisho/milter.sock"). */
  async listen(address: MilterListen, socketMode = 0o660): Promise<{ readonly description: string; readonly port?: number }> {
    if (address.kind === 'unix') {
      await removeStaleSocket(address.path);
      await this.bind(() => this.server.listen(address.path));
      // Postfix's smtpd runs as "postfix": the socket's group and mode let it connect.
      await chmod(address.path, socketMode);
      this.unixPath = address.path;
      return { description: `unix:${address.path}` };
    }
    await this.bind(() => this.server.listen(address.port, address.host));
    const bound = this.server.address() as net.AddressInfo;
    return { description: `${bound.address}:${bound.port}`, port: bound.port };
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  reconfigure(settings: MilterServerSettings, quarantineStore: QuarantineStore): void {
    this.settings = settings;
    this.filterDeps = this.filterDepsOf(settings, quarantineStore);
  }

  /**
   * SIGTERM: stop accepting, close idle connections, let a message being filtered get its
   * answer, and after the grace period close whatever is left. Postfix then applies
   * milter_default_action (tempfail) to what it still had. A message whose end of body
   * is being decided is not cut at the grace: in store mode it may already be durably in
   * the quarantine, and a tempfail then would make the client send it again (a second
   * copy). Those get their answer, bounded by the session's own answer deadline.
   */
  async drain(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 50));
    const closeIdle = () => {
      for (const [socket, session] of this.sockets) if (!session.inTransaction) socket.destroy();
    };
    const deadline = Date.now() + this.settings.shutdownGraceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      closeIdle();
      if (this.sockets.size > 0) await sleep();
    }
    for (const [socket, session] of this.sockets) if (!session.deciding) socket.destroy();
    const last = Date.now() + this.settings.answerDeadlineMs;
    while ([...this.sockets.values()].some((session) => session.deciding) && Date.now() < last) {
      await sleep();
      closeIdle();
    }
    for (const socket of this.sockets.keys()) socket.destroy();
    await closed;
    if (this.unixPath) await unlink(this.unixPath).catch(() => undefined);
  }

  private filterDepsOf(settings: MilterServerSettings, store: QuarantineStore): FilterDeps {
    return {
      ingress: 'milter',
      inspector: this.inspector,
      policy: settings.policy,
      tag: settings.tag,
      quarantine: settings.quarantine === 'store' ? store : 'ingress',
      metrics: this.metrics,
      logger: this.logger,
      // The MTA applies the edits: they go as SMFIR_* packets, the bytes stay the MTA's.
      editBytes: false,
      ppap: this.ppap,
    };
  }

  private bind(start: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.once('listening', () => {
        this.server.off('error', onError);
        // From now on an error is the running server's (a failed listen is the caller's, once).
        this.server.on('error', (err) => this.logger.error({ err }, 'milter server error'));
        resolve();
      });
      start();
    });
  }

  private accept(socket: net.Socket): void {
    const connection = `m${(++connectionCounter).toString(36)}`;
    const address = socket.remoteAddress ?? 'unix';
    if (this.draining || this.sockets.size >= this.settings.maxConnections) {
      const reason = this.draining ? 'draining' : 'max-connections';
      this.logger.warn({ event: 'milter-connection-refused', conn: connection, peer: address, reason }, 'milter connection refused');
      this.metrics.milterProtocolErrors.inc({ reason });
      socket.destroy();
      return;
    }
    this.metrics.milterConnections.inc();
    this.metrics.milterActiveConnections.inc();
    socket.setNoDelay(true);
    socket.setTimeout(this.settings.idleTimeoutMs);
    const send = (replies: readonly MilterReply[]) => {
      if (!socket.destroyed) socket.write(replies.length === 1 && replies[0] ? encodeReply(replies[0]) : Buffer.concat(replies.map(encodeReply)));
    };
    const session = new MilterSession(
      { logger: this.logger, metrics: this.metrics, buffers: this.buffers, inflight: this.inflight, settings: () => this.settings, filter: () => this.filterDeps },
      send,
      { connection, address },
    );
    this.sockets.set(socket, session);
    const reader = new FrameReader(MAX_FRAME_BYTES);
    const backlog: Frame[] = [];
    let busy = false;

    const fail = (reason: string, detail: string, level: 'warn' | 'error' = 'warn') => {
      if (socket.destroyed) return;
      this.metrics.milterProtocolErrors.inc({ reason });
      this.logger[level]({ event: 'milter-connection-closed', conn: connection, peer: address, reason, detail }, 'milter connection closed');
      socket.destroy();
    };
    const failWith = (err: unknown) => {
      if (err instanceof MilterProtocolError) fail(err.reason, err.message);
      else fail('internal', err instanceof Error ? err.message : String(err), 'error');
    };
    // Frames are handled one at a time, in order; while an end of message is filtered the
    // socket is paused (the MTA waits for that answer anyway), so the backlog stays small.
    const pump = () => {
      while (!busy && !socket.destroyed && backlog.length > 0) {
        const frame = backlog.shift() as Frame;
        try {
          const command = decodeCommand(frame);
          if (command.kind === 'quit') {
            session.handle(command);
            socket.end();
            return;
          }
          const step = session.handle(command);
          if (step) {
            busy = true;
            socket.pause();
            step.then(
              () => {
                busy = false;
                socket.resume();
                pump();
              },
              failWith,
            );
          }
        } catch (err) {
          failWith(err);
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        backlog.push(...reader.push(chunk));
      } catch (err) {
        failWith(err);
        return;
      }
      pump();
    });
    socket.on('timeout', () => fail('timeout', `no command for ${this.settings.idleTimeoutMs} ms`));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset MTA connection is how Postfix ends some sessions; worth a debug line only.
      this.logger.debug({ event: 'milter-socket-error', conn: connection, code: err.code }, 'milter socket error');
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.metrics.milterActiveConnections.dec();
      session.closed();
    });
  }
}

/**
 * A socket file left by a sekisho that did not shut down cleanly would make listen fail
 * (EADDRINUSE). It is removed only when nothing answers on it: two daemons on one path
 * would otherwise steal each other's socket.
 */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`milter.listen: ${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`milter.listen: another process is listening on ${path}`);
  await unlink(path);
}
