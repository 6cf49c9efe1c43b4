import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Finding, Verdict, VerdictName } from '../core/verdict.js';
import type { ActionKind } from '../policy/decide.js';

/** Which ingress a message came through; `scan` only for the CLI, which records no metrics. */
export type Ingress = 'smtp' | 'milter' | 'scan';
/** Where in an SMTP session a reply was given. */
export type ReplyStage = 'connect' | 'mail' | 'rcpt' | 'data';
export type UpstreamErrorKind = 'connect' | 'refused' | 'timeout' | 'dropped' | 'protocol' | 'tls' | 'io';

const VERDICTS: readonly VerdictName[] = ['clean', 'suspicious', 'malicious', 'unscannable'];
const ACTIONS: readonly ActionKind[] = ['pass', 'tag', 'quarantine', 'await-password', 'reject', 'tempfail'];
const STAGES: readonly ReplyStage[] = ['connect', 'mail', 'rcpt', 'data'];
const CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
/** The milter's end-of-message answers (metric label values). */
export const MILTER_REPLIES = ['accept', 'discard', 'quarantine', 'replycode', 'tempfail'] as const;
export type MilterReplyLabel = (typeof MILTER_REPLIES)[number];
const UPSTREAM_ERRORS: readonly UpstreamErrorKind[] = ['connect', 'refused', 'timeout', 'dropped', 'protocol', 'tls', 'io'];

/**
 * The Prometheus metrics of one process, in a registry of its own (no globals): created in
 * main (or a test) and handed to what counts. Every label value comes from a fixed set —
 * verdicts, actions, detector and finding codes, catalog brand ids, reply classes — never
 * an address, a domain or a subject, which would let senders blow up the series count.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly messages: Counter<'ingress' | 'verdict' | 'action'>;
  readonly findings: Counter<'detector' | 'code'>;
  readonly brandImpersonations: Counter<'brand'>;
  readonly smtpConnections: Counter;
  readonly smtpActiveConnections: Gauge;
  readonly smtpReplies: Counter<'stage' | 'class'>;
  readonly smtpDeadlines: Counter<'breach'>;
  readonly inflightRefused: Counter;
  readonly upstreamErrors: Counter<'kind'>;
  readonly upstreamLatency: Histogram;
  readonly scanDuration: Histogram;
  readonly messageSize: Histogram;
  readonly quarantineReleased: Counter;
  readonly quarantineDeleted: Counter;
  readonly unscannable: Counter<'reason'>;
  readonly configReloads: Counter<'result'>;
  readonly inspectQueueDepth: Gauge;
  readonly inspectQueueCapacity: Gauge;
  readonly inspectWorkers: Gauge;
  readonly inspectWorkersBusy: Gauge;
  readonly inspectWorkerRestarts: Counter<'reason'>;
  readonly inspectQueueFull: Counter;
  readonly quarantineFull: Counter<'reason'>;
  readonly quarantineStoreErrors: Counter;
  readonly ppapPairings: Counter<'result'>;
  readonly milterConnections: Counter;
  readonly milterActiveConnections: Gauge;
  readonly milterReplies: Counter<'reply'>;
  readonly milterProtocolErrors: Counter<'reason'>;
  private readonly buildInfo: Gauge<'version' | 'node'>;

  constructor(version: string, options: { processMetrics?: boolean } = {}) {
    const r = [this.registry];
    this.messages = new Counter({ name: 'sekisho_messages_total', help: 'Messages inspected, by ingress, verdict and the action taken.', labelNames: ['ingress', 'verdict', 'action'], registers: r });
    this.findings = new Counter({ name: 'sekisho_findings_total', help: 'Findings, by detector and code.', labelNames: ['detector', 'code'], registers: r });
    this.brandImpersonations = new Counter({
      name: 'sekisho_brand_impersonations_total',
      help: 'Messages impersonating a catalog brand (a brand finding of medium or high severity), by catalog brand id.',
      labelNames: ['brand'],
      registers: r,
    });
    this.smtpConnections = new Counter({ name: 'sekisho_smtp_connections_total', help: 'SMTP client connections accepted.', registers: r });
    this.smtpActiveConnections = new Gauge({ name: 'sekisho_smtp_active_connections', help: 'SMTP client connections open now.', registers: r });
    this.smtpReplies = new Counter({ name: 'sekisho_smtp_replies_total', help: 'Replies to SMTP clients, by session stage and reply class.', labelNames: ['stage', 'class'], registers: r });
    this.smtpDeadlines = new Counter({
      name: 'sekisho_smtp_client_deadlines_total',
      help: 'SMTP clients cut with 421 for breaking a deadline (transaction-deadline, data-deadline, data-rate: slowloris).',
      labelNames: ['breach'],
      registers: r,
    });
    this.inflightRefused = new Counter({
      name: 'sekisho_inflight_refused_total',
      help: 'Messages tempfailed (451 4.3.1) because keeping them would take the process past smtp.max_inflight_bytes.',
      registers: r,
    });
    this.upstreamErrors = new Counter({ name: 'sekisho_upstream_errors_total', help: 'Next-hop failures (no reply could be had), by kind.', labelNames: ['kind'], registers: r });
    this.upstreamLatency = new Histogram({
      name: 'sekisho_upstream_latency_seconds',
      help: 'Time of one next-hop round trip (MAIL, RCPT or the message and its final reply).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    });
    this.scanDuration = new Histogram({
      name: 'sekisho_scan_duration_seconds',
      help: 'Time the inspection core took for one message.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.messageSize = new Histogram({
      name: 'sekisho_message_size_bytes',
      help: 'Size of the messages received.',
      buckets: [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 52428800],
      registers: r,
    });
    this.quarantineReleased = new Counter({ name: 'sekisho_quarantine_released_total', help: 'Quarantined messages released to the next hop.', registers: r });
    this.quarantineDeleted = new Counter({ name: 'sekisho_quarantine_deleted_total', help: 'Quarantined messages deleted by an admin or by the retention purge.', registers: r });
    this.unscannable = new Counter({ name: 'sekisho_unscannable_total', help: 'Parts or messages not inspected, by the limit or fault that stopped it.', labelNames: ['reason'], registers: r });
    this.configReloads = new Counter({ name: 'sekisho_config_reloads_total', help: 'Configuration reloads (SIGHUP), by result.', labelNames: ['result'], registers: r });
    this.inspectQueueDepth = new Gauge({ name: 'sekisho_inspect_queue_depth', help: 'Messages waiting for an inspection worker.', registers: r });
    this.inspectQueueCapacity = new Gauge({ name: 'sekisho_inspect_queue_capacity', help: 'Messages that may wait for an inspection worker (inspect.max_queue).', registers: r });
    this.inspectWorkers = new Gauge({ name: 'sekisho_inspect_workers', help: 'Inspection worker threads (0: inspection runs on the event loop).', registers: r });
    this.inspectWorkersBusy = new Gauge({ name: 'sekisho_inspect_workers_busy', help: 'Inspection workers inspecting a message now.', registers: r });
    this.inspectWorkerRestarts = new Counter({
      name: 'sekisho_inspect_worker_restarts_total',
      help: 'Inspection workers terminated and replaced, by reason (deadline: still busy at inspect.time_budget; crash; memory: over inspect.worker_memory).',
      labelNames: ['reason'],
      registers: r,
    });
    this.inspectQueueFull = new Counter({ name: 'sekisho_inspect_queue_full_total', help: 'Messages refused with 451 4.3.2 because the inspection queue was full.', registers: r });
    this.quarantineFull = new Counter({
      name: 'sekisho_quarantine_full_total',
      help: 'Messages the policy would quarantine that got 451 4.3.1 because the quarantine was at quarantine.max_bytes / max_messages or its disk at min_free_bytes, by reason.',
      labelNames: ['reason'],
      registers: r,
    });
    this.quarantineStoreErrors = new Counter({
      name: 'sekisho_quarantine_store_errors_total',
      help: 'Messages the policy would quarantine that got 451 4.3.0 because the store failed (a database down or too slow, a disk error).',
      registers: r,
    });
    this.ppapPairings = new Counter({
      name: 'sekisho_ppap_pairings_total',
      help: 'PPAP pairing attempts on entries awaiting a password, by result (released: opened and clean; kept: opened, bad inside; wrong-password; expired: window over).',
      labelNames: ['result'],
      registers: r,
    });
    this.milterConnections = new Counter({ name: 'sekisho_milter_connections_total', help: 'Milter connections from the MTA accepted.', registers: r });
    this.milterActiveConnections = new Gauge({ name: 'sekisho_milter_active_connections', help: 'Milter connections from the MTA open now.', registers: r });
    this.milterReplies = new Counter({
      name: 'sekisho_milter_replies_total',
      help: 'End-of-message answers to the MTA, by milter reply (accept, discard, quarantine: the hold queue, replycode, tempfail).',
      labelNames: ['reply'],
      registers: r,
    });
    this.milterProtocolErrors = new Counter({
      name: 'sekisho_milter_protocol_errors_total',
      help: 'Milter connections closed for malformed or out-of-order input, a limit or a timeout, by reason.',
      labelNames: ['reason'],
      registers: r,
    });
    this.buildInfo = new Gauge({
      name: 'sekisho_build_info',
      help: 'sekisho version and Node.js version; always 1.',
      labelNames: ['version', 'node'],
      registers: r,
      // One process's value, not the sum of all workers'.
      aggregator: 'first',
    });
    this.buildInfo.set({ version, node: process.version }, 1);
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client's totals of active handles, requests and resources are gauges named
      // *_total, which the exposition format keeps for counters (promtool check metrics
      // fails on them). The per-type gauges beside them (nodejs_active_handles{type}) stay,
      // and sum() of those is the same figure.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    }
    // Series that alert rules take rates of exist from the start, at zero.
    for (const verdict of VERDICTS) for (const action of ACTIONS) this.messages.inc({ ingress: 'smtp', verdict, action }, 0);
    for (const stage of STAGES) for (const cls of CLASSES) this.smtpReplies.inc({ stage, class: cls }, 0);
    for (const kind of UPSTREAM_ERRORS) this.upstreamErrors.inc({ kind }, 0);
    for (const result of ['ok', 'refused']) this.configReloads.inc({ result }, 0);
    for (const reason of ['deadline', 'crash', 'memory']) this.inspectWorkerRestarts.inc({ reason }, 0);
    for (const reason of ['max-bytes', 'max-messages', 'free-space']) this.quarantineFull.inc({ reason }, 0);
    for (const result of ['released', 'kept', 'wrong-password', 'expired']) this.ppapPairings.inc({ result }, 0);
    for (const breach of ['transaction-deadline', 'data-deadline', 'data-rate']) this.smtpDeadlines.inc({ breach }, 0);
    if (options.processMetrics ?? true) this.watchEventLoop();
  }

  /** Entries awaiting a password (PPAP), read when Prometheus scrapes, in the process that runs the admin service. */
  watchPpap(awaiting: () => Promise<number>): void {
    new Gauge({
      name: 'sekisho_ppap_awaiting',
      help: 'Quarantine entries awaiting a password (PPAP) within their window.',
      registers: [this.registry],
      aggregator: 'first',
      async collect() {
        this.set(await awaiting().catch(() => 0));
      },
    });
  }

  /** Message bytes held in flight now, against smtp.max_inflight_bytes. */
  watchInflight(inflight: { readonly used: number; readonly limit: number }): void {
    new Gauge({
      name: 'sekisho_inflight_bytes',
      help: 'Bytes of messages this process holds now (collecting, inspecting, relaying, storing).',
      registers: [this.registry],
      collect() {
        this.set(inflight.used);
      },
    });
    new Gauge({
      name: 'sekisho_inflight_bytes_limit',
      help: 'smtp.max_inflight_bytes: past it new messages get 451 4.3.1.',
      registers: [this.registry],
      collect() {
        this.set(inflight.limit);
      },
    });
  }

  /** The milter ingress is serving: its series exist from the start, at zero, like the proxy's. */
  initMilter(): void {
    for (const verdict of VERDICTS) for (const action of ACTIONS) this.messages.inc({ ingress: 'milter', verdict, action }, 0);
    for (const reply of MILTER_REPLIES) this.milterReplies.inc({ reply }, 0);
  }

  /**
   * Event-loop delay of this process, p99 and max over the interval since the previous
   * scrape: the one figure that shows whether anything blocks every SMTP session at once.
   */
  private watchEventLoop(): void {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let last = { p99: 0, max: 0 };
    let readAt = 0;
    // Both gauges of one scrape share one reading; the histogram starts again after it.
    const read = () => {
      const now = Date.now();
      if (now - readAt > 1000) {
        last = delay.count > 0 ? { p99: delay.percentile(99) / 1e9, max: delay.max / 1e9 } : { p99: 0, max: 0 };
        delay.reset();
        readAt = now;
      }
      return last;
    };
    new Gauge({
      name: 'sekisho_event_loop_lag_p99_seconds',
      help: 'Event-loop delay of the process, 99th percentile since the previous scrape.',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.set(read().p99);
      },
    });
    new Gauge({
      name: 'sekisho_event_loop_lag_max_seconds',
      help: 'Event-loop delay of the process, largest since the previous scrape.',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.set(read().max);
      },
    });
  }

  /** One inspected message and what the policy did with it. */
  recordMessage(ingress: Ingress, verdict: Verdict, action: ActionKind, sizeBytes: number, scanSeconds: number): void {
    this.messages.inc({ ingress, verdict: verdict.verdict, action });
    this.messageSize.observe(sizeBytes);
    this.scanDuration.observe(scanSeconds);
    const brands = new Set<string>();
    for (const f of verdict.findings) {
      this.findings.inc({ detector: f.detector, code: f.code });
      if (f.detector === 'limits') this.unscannable.inc({ reason: f.code });
      const brand = impersonatedBrand(f);
      if (brand) brands.add(brand);
    }
    for (const brand of brands) this.brandImpersonations.inc({ brand });
  }

  /** 1 while the quarantine store can take a message (its health(), read at scrape time), else 0. */
  watchQuarantineStore(health: () => Promise<{ readonly ok: boolean }>): void {
    new Gauge({
      name: 'sekisho_quarantine_store_up',
      help: 'Whether the quarantine store takes messages now: the directory is writable, or the database answers (1), or not (0).',
      registers: [this.registry],
      aggregator: 'min',
      async collect() {
        this.set((await health().catch(() => ({ ok: false }))).ok ? 1 : 0);
      },
    });
  }

  /**
   * The quarantine's totals, read when Prometheus scrapes (only in the process that runs
   * the admin service). `store` names the quarantine, not the
   * node: every node of a shared PostgreSQL store reports the same label and the same
   * totals, so `sum(max by (store) (…))` counts each quarantine once, shared or per node.
   */
  watchQuarantine(stats: () => Promise<{ messages: number; bytes: number }>, store: string): void {
    let last = { messages: 0, bytes: 0 };
    let reading: Promise<{ messages: number; bytes: number }> | undefined;
    // Both gauges of one scrape share one read of the store.
    const read = () =>
      (reading ??= stats()
        .then((s) => (last = s))
        .catch(() => last)
        .finally(() => (reading = undefined)));
    new Gauge({
      name: 'sekisho_quarantine_messages',
      help: 'Messages held in the quarantine.',
      registers: [this.registry],
      labelNames: ['store'],
      aggregator: 'first',
      async collect() {
        this.set({ store }, (await read()).messages);
      },
    });
    new Gauge({
      name: 'sekisho_quarantine_bytes',
      help: 'Bytes of the messages held in the quarantine.',
      registers: [this.registry],
      labelNames: ['store'],
      aggregator: 'first',
      async collect() {
        this.set({ store }, (await read()).bytes);
      },
    });
  }
}

/** A catalog brand id, from a brand finding that makes a message suspicious or worse. */
function impersonatedBrand(f: Finding): string | undefined {
  if (f.detector !== 'brand' || (f.severity !== 'medium' && f.severity !== 'high')) return undefined;
  const brand = f.evidence['brand'];
  if (typeof brand === 'string') return brand;
  const brands = f.evidence['brands'];
  return Array.isArray(brands) && typeof brands[0] === 'string' ? brands[0] : undefined;
}
