import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InspectorPlan, InspectorSettings } from '../config/inspect-options.js';
import type { Envelope } from '../core/envelope.js';
import { cutOffInspection, messageDigest } from '../core/inspect.js';
import type { Logger } from '../log/logger.js';
import { headerFactsOf, type HeaderFacts } from '../message/header-facts.js';
import type { Metrics } from '../metrics/metrics.js';
import type { InspectionOutcome, InspectRequest, Inspector } from './inspector.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

interface Job {
  readonly id: number;
  readonly envelope: Envelope;
  readonly request: InspectRequest;
  /** The message over a SharedArrayBuffer: the worker reads these very bytes. */
  readonly shared: Buffer;
  readonly resolve: (outcome: InspectionOutcome) => void;
  headers?: HeaderFacts;
  sha256?: string;
  started?: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
  /** Set when we end the worker ourselves (deadline, close): its exit is no crash. */
  retired?: boolean;
  /** The error that ended it, when it ended by one. */
  error?: Error;
}

/**
 * Inspection in a pool of worker threads, so that nothing a sender controls runs on the
 * event loop that serves every SMTP session and the admin port.
 *
 * - One message per worker at a time, so that stopping a worker stops one message only.
 * - A hard deadline from outside: a worker still busy at `inspect.time_budget` is
 *   terminated and replaced, and its message gets the `limits/time` finding (unscannable,
 *   for the policy). The core's own budget, checked between steps, usually answers first;
 *   this one also stops a step that never returns (a superlinear scan, a stuck decoder).
 * - A bounded queue: past `inspect.max_queue` waiting messages the answer is `busy` at
 *   once (the filter says 451 4.3.2, the sender retries), never an unbounded backlog.
 * - A worker that crashes or runs out of its heap (resourceLimits) fails its message only
 *   (451 4.3.0) and is replaced; the pool goes on.
 */
export class InspectionPool implements Inspector {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly started: Promise<void>;
  private markStarted: () => void = () => undefined;
  private failStart: (err: Error) => void = () => undefined;

  constructor(
    private settings: InspectorSettings,
    private readonly plan: InspectorPlan,
    private readonly logger?: Logger,
    private readonly metrics?: Metrics,
  ) {
    if (plan.threads < 1) throw new Error('InspectionPool needs at least one thread (threads: 0 is the InlineInspector)');
    this.started = new Promise((resolve, reject) => {
      this.markStarted = resolve;
      this.failStart = reject;
    });
    for (let i = 0; i < plan.threads; i++) this.slots.push(this.spawn());
    metrics?.inspectWorkers.set(plan.threads);
    metrics?.inspectQueueCapacity.set(plan.maxQueue);
    this.observe();
  }

  inspect(envelope: Envelope, message: Buffer, request: InspectRequest = {}): Promise<InspectionOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'failed', reason: 'crash', detail: 'inspection pool closed' });
    const idle = this.slots.find((s) => s.ready && !s.job);
    if (!idle && this.queue.length >= this.plan.maxQueue) {
      this.metrics?.inspectQueueFull.inc();
      return Promise.resolve({ kind: 'busy' });
    }
    return new Promise((resolve) => {
      const job: Job = { id: this.nextId++, envelope, request, shared: shared(message), resolve };
      if (idle) this.start(idle, job);
      else this.queue.push(job);
      this.observe();
    });
  }

  /** Every worker has loaded (modules, brand catalog) at least once. */
  ready(): Promise<void> {
    return this.started;
  }

  reconfigure(settings: InspectorSettings): void {
    this.settings = settings;
    const message: ToWorker = { type: 'configure', settings };
    for (const slot of this.slots) slot.worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ kind: 'failed', reason: 'crash', detail: 'inspection pool closed' });
    await Promise.all(
      this.slots.map((slot) => {
        slot.retired = true;
        if (slot.timer) clearTimeout(slot.timer);
        return slot.worker.terminate();
      }),
    );
    this.observe();
  }

  private spawn(): Slot {
    const worker = new Worker(workerScript(), {
      workerData: { settings: this.settings },
      resourceLimits: { maxOldGenerationSizeMb: this.plan.workerHeapMb },
      // The worker's own console and errors go to this process's; its messages are ours.
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, ready: false };
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (err: Error) => (slot.error = err));
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job;
    job.started = performance.now();
    const message: ToWorker = { type: 'inspect', id: job.id, envelope: job.envelope, request: job.request, message: job.shared };
    slot.worker.postMessage(message);
    slot.timer = setTimeout(() => this.deadline(slot, job), this.settings.limits.timeBudgetMs);
    slot.timer.unref();
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      slot.ready = true;
      if (this.slots.every((s) => s.ready)) this.markStarted();
      this.next(slot);
      return;
    }
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    if (message.type === 'headers') {
      job.headers = message.headers;
      job.sha256 = message.sha256;
      return;
    }
    this.finish(slot, { kind: 'inspected', inspection: message.inspection, ms: performance.now() - (job.started ?? 0) });
    this.next(slot);
  }

  /** Still busy at the time budget: the worker is terminated, the message is unscannable. */
  private deadline(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    slot.retired = true;
    void slot.worker.terminate();
    this.metrics?.inspectWorkerRestarts.inc({ reason: 'deadline' });
    this.logger?.warn({ event: 'inspection-deadline', budget_ms: this.settings.limits.timeBudgetMs, size: job.shared.length }, 'inspection stopped at its deadline; worker replaced');
    // Facts come first from the worker; only a message that stalled the worker before that
    // (in a header block capped at 1 MiB) has them read here.
    const headers = job.headers ?? headerFactsOf(job.shared);
    const sha256 = job.sha256 ?? messageDigest(job.shared);
    this.finish(slot, { kind: 'inspected', inspection: cutOffInspection(headers, sha256, this.settings.limits.timeBudgetMs), ms: performance.now() - (job.started ?? 0) });
    this.replace(slot);
  }

  private onExit(slot: Slot, code: number): void {
    if (slot.retired) return;
    const memory = (slot.error as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const reason = memory ? 'memory' : 'crash';
    const detail = slot.error?.message ?? `worker exited with code ${code}`;
    this.metrics?.inspectWorkerRestarts.inc({ reason });
    this.logger?.error({ event: 'inspection-worker-failed', reason, detail, busy: slot.job !== undefined }, 'inspection worker failed; replaced');
    if (slot.job) this.finish(slot, { kind: 'failed', reason, detail });
    // Settles nothing once started; before, the daemon must not start without inspection.
    if (!slot.ready) this.failStart(new Error(`inspection worker failed to start: ${detail}`));
    // One that dies before it is ready (a broken install, a catalog it cannot build) would
    // die again at once: the next try waits a second instead of spinning.
    if (slot.ready) this.replace(slot);
    else setTimeout(() => this.replace(slot), 1000).unref();
  }

  private finish(slot: Slot, outcome: InspectionOutcome): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    job?.resolve(outcome);
    this.observe();
  }

  /** A new worker in the place of one that ended; queued messages wait for it to be ready. */
  private replace(slot: Slot): void {
    if (this.closed) return;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
  }

  private next(slot: Slot): void {
    const job = this.queue.shift();
    if (job) this.start(slot, job);
    this.observe();
  }

  private observe(): void {
    this.metrics?.inspectQueueDepth.set(this.queue.length);
    this.metrics?.inspectWorkersBusy.set(this.slots.filter((s) => s.job).length);
  }
}

/**
 * The message over a SharedArrayBuffer, which a worker reads without a copy and which
 * outlives a terminated worker. The DATA collector already writes messages there; any
 * other Buffer is copied once.
 */
export function shared(message: Buffer): Buffer {
  if (message.buffer instanceof SharedArrayBuffer) return message;
  const copy = Buffer.from(new SharedArrayBuffer(message.length));
  message.copy(copy);
  return copy;
}

/**
 * The compiled worker beside this file; when running from the TypeScript sources (vitest),
 * the one `npm run build` put in dist/, since a worker thread cannot load .ts.
 */
function workerScript(): URL {
  const beside = new URL('./inspection-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/filter/inspection-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`inspection worker not found at ${fileURLToPath(beside)}: run npm run build`);
}
