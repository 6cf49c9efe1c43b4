import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Finding, Verdict, VerdictName } from '../core/verdict.js';
import type { ActionKind } from '../policy/decide.js';

export type Ingress = 'smtp' | 'milter';
/** Where in an SMTP session a reply was given. */
export type ReplyStage = 'connect' | 'mail' | 'rcpt' | 'data';
export type UpstreamErrorKind = 'connect' | 'refused' | 'timeout' | 'dropped' | 'protocol' | 'tls' | 'io';

const VERDICTS: readonly VerdictName[] = ['clean', 'suspicious', 'malicious', 'unscannable'];
const ACTIONS: readonly ActionKind[] = ['pass', 'tag', 'quarantine', 'reject', 'tempfail'];
const STAGES: readonly ReplyStage[] = ['connect', 'mail', 'rcpt', 'data'];
const CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
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
  readonly eventLoopLagP99: Gauge;
  readonly eventLoopLagMax: Gauge;
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
    this.inspectQueueCapacity = new Gauge({ name: 'sekisho_inspect_queue_capacity', help: 'Messages the inspection queue holds at most (inspect.max_queue).', registers: r });
    this.inspectWorkers = new Gauge({ name: 'sekisho_inspect_workers', help: 'Inspection worker threads (0 = inline).', registers: r });
    this.inspectWorkersBusy = new Gauge({ name: 'sekisho_inspect_workers_busy', help: 'Inspection workers inspecting a message now.', registers: r });
    this.inspectWorkerRestarts = new Counter({
      name: 'sekisho_inspect_worker_restarts_total',
      help: 'Inspection workers terminated and replaced, by reason (deadline: still busy at inspect.time_budget; crash: threw or exited; memory: hit its resourceLimits).',
      labelNames: ['reason'],
      registers: r,
    });
    this.inspectQueueFull = new Counter({ name: 'sekisho_inspect_queue_full_total', help: 'Messages refused with 451 4.3.2 because the inspection queue was full.', registers: r });
    // The worst worker's lag, not the sum of all workers'.
    this.eventLoopLagP99 = new Gauge({ name: 'sekisho_event_loop_lag_p99_seconds', help: 'Event-loop delay of the process, 99th percentile over the interval since the previous scrape.', registers: r, aggregator: 'max' });
    this.eventLoopLagMax = new Gauge({ name: 'sekisho_event_loop_lag_max_seconds', help: 'Event-loop delay of the process, maximum over the interval since the previous scrape.', registers: r, aggregator: 'max' });
    this.buildInfo = new Gauge({
      name: 'sekisho_build_info',
      help: 'sekisho version and Node.js version; always 1.',
      labelNames: ['version', 'node'],
      registers: r,
      // One process's value, not the sum of all workers'.
      aggregator: 'first',
    });
    this.buildInfo.set({ version, node: process.version }, 1);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // Series that alert rules take rates of exist from the start, at zero.
    for (const verdict of VERDICTS) for (const action of ACTIONS) this.messages.inc({ ingress: 'smtp', verdict, action }, 0);
    for (const stage of STAGES) for (const cls of CLASSES) this.smtpReplies.inc({ stage, class: cls }, 0);
    for (const kind of UPSTREAM_ERRORS) this.upstreamErrors.inc({ kind }, 0);
    for (const result of ['ok', 'refused']) this.configReloads.inc({ result }, 0);
    for (const reason of ['deadline', 'crash', 'memory']) this.inspectWorkerRestarts.inc({ reason }, 0);
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

  /** Quarantine size, read from the store when Prometheus scrapes (only in the process that runs the admin service). */
  watchQuarantine(stats: () => Promise<{ messages: number; bytes: number }>): void {
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
      aggregator: 'first',
      async collect() {
        this.set((await read()).messages);
      },
    });
    new Gauge({
      name: 'sekisho_quarantine_bytes',
      help: 'Bytes of the messages held in the quarantine.',
      registers: [this.registry],
      aggregator: 'first',
      async collect() {
        this.set((await read()).bytes);
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
