import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from '../metrics/metrics.js';

/** A worker that has not answered by then is left out of this scrape (it may be dying). */
const WORKER_TIMEOUT_MS = 2000;

interface Pending {
  readonly waiting: Set<number>;
  readonly results: unknown[][];
  readonly done: () => void;
}

/**
 * /metrics of a cluster: the primary asks every worker for its registry (over the cluster
 * IPC channel, as prom-client's JSON), adds its own, and lets prom-client aggregate them:
 * counters and histograms are summed, build info taken once. Workers keep their own
 * registries; nothing global is shared.
 */
export class ClusterMetrics {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly own: Metrics,
    private readonly workers: () => Worker[],
  ) {}

  /** A worker's answer (its 'metrics' message). */
  answer(worker: Worker, id: number, json: unknown[]): void {
    const p = this.pending.get(id);
    if (!p || !p.waiting.delete(worker.id)) return;
    p.results.push(json);
    if (p.waiting.size === 0) p.done();
  }

  async exposition(): Promise<string> {
    const id = this.nextId++;
    const workers = this.workers();
    const results: unknown[][] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), WORKER_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve();
      };
      this.pending.set(id, { waiting: new Set(workers.map((w) => w.id)), results, done: finish });
      if (workers.length === 0) finish();
      for (const w of workers) w.send({ type: 'metrics', id });
    });
    const mine = await this.own.registry.getMetricsAsJSON();
    const all: object[] = [mine, ...results];
    return AggregatorRegistry.aggregate(all).metrics();
  }
}
