import cluster, { type Worker } from 'node:cluster';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createQuarantineStore, quarantineLimits } from '../quarantine/create-store.js';
import { createNextHop, nextHopKey } from '../smtp/next-hop/create-next-hop.js';
import { startAdminService } from './admin-service.js';
import { inspectorPlan, inspectorSettings } from '../config/inspect-options.js';
import { createInspector } from '../filter/create-inspector.js';
import { startPpap } from '../ppap/start-ppap.js';
import { isToPrimary, type ToWorker } from './cluster-messages.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { reloadConfig } from './signals.js';

/** A worker that dies sooner than this after its start counts as a failed start. */
const RESTART_DELAY_MS = 1000;

/**
 * The cluster primary for `smtp.workers` > 1: forks the workers (they share the listening
 * socket, Node's cluster balances connections), restarts one that dies, validates a
 * reloaded configuration once and hands it to all, and on SIGTERM lets every worker drain.
 */
export async function runPrimary(loaded: LoadedConfig, logger: Logger, metrics: Metrics): Promise<void> {
  let current = loaded;
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const listening = new Set<number>();
  const clusterMetrics = new ClusterMetrics(metrics, live);
  // The admin service (API, web page, metrics, purge) runs once, here; the workers share
  // the quarantine directory and each writes its own entries into it.
  let nextHop = createNextHop(loaded);
  const store = createQuarantineStore(loaded, logger);
  await store.open().catch((err: unknown) => logger.error({ event: 'quarantine-db', store: store.description, err: (err as Error).message }, 'quarantine store not ready'));
  // One inspection worker here for an admin who opens a PPAP entry with a password: its
  // rescan must not run on the event loop that serves the admin port.
  const inspector = createInspector(inspectorSettings(loaded), { ...inspectorPlan(loaded), threads: 1 }, logger, undefined);
  const ppap = startPpap(() => current, store, () => nextHop, inspector, logger, metrics, true);
  const adminService = await startAdminService(loaded, logger, store, () => nextHop, {
    metrics,
    exposition: () => clusterMetrics.exposition(),
    listening: () => ({ ok: listening.size > 0, detail: `${listening.size} of ${current.config.smtp.workers} workers listening`, problem: listening.size > 0 ? undefined : 'no worker listening' }),
  }, (id, password, by) => ppap.pairing.open(id, password, by));
  let stopping = false;
  const workers = loaded.config.smtp.workers;
  const send = (worker: Worker, message: ToWorker) => worker.send(message);

  const fork = () => cluster.fork({ SEKISHO_LOG_LEVEL: current.config.log.level });

  cluster.on('message', (worker, message: unknown) => {
    if (!isToPrimary(message)) return;
    if (message.type === 'ready') send(worker, { type: 'start', loaded: current });
    else if (message.type === 'metrics') clusterMetrics.answer(worker, message.id, message.json);
    else if (message.type === 'listening') {
      listening.add(worker.id);
      logger.debug({ event: 'worker-listening', worker: worker.id, port: message.port }, 'worker listening');
    } else {
      logger.fatal({ event: 'worker-start-failed', worker: worker.id, error: message.error }, 'worker could not start');
      stop(1);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) logger.flush(() => process.exit(exitCode));
      return;
    }
    logger.error({ event: 'worker-exit', worker: worker.id, code, signal }, 'worker died; starting a new one');
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_DELAY_MS).unref();
  });

  process.on('SIGHUP', () => {
    const next = reloadConfig(current.file, logger);
    metrics.configReloads.inc({ result: next ? 'ok' : 'refused' });
    if (!next) return;
    if (nextHopKey(next) !== nextHopKey(current)) {
      void nextHop.close();
      nextHop = createNextHop(next);
    }
    adminService.reload(next);
    // The PPAP rescan runs here: it must use the reloaded catalog and limits, as the workers do.
    inspector.reconfigure(inspectorSettings(next));
    store.setLimits(quarantineLimits(next.config));
    current = next;
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) send(worker, { type: 'reload', loaded: next });
    logger.info({ event: 'reload', result: 'ok', workers: workers }, 'configuration sent to workers');
  });

  let exitCode = 0;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    void adminService.close().then(() => store.close());
    void nextHop.close();
    const running = live();
    if (running.length === 0) logger.flush(() => process.exit(exitCode));
    for (const worker of running) send(worker, { type: 'drain' });
    // Workers cut their connections after the grace period; this only guards against a hung one.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      logger.flush(() => process.exit(exitCode));
    }, current.config.smtp.timeouts.shutdown_grace + 5000).unref();
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  logger.info({ event: 'cluster', workers }, `starting ${workers} workers`);
  for (let i = 0; i < workers; i++) fork();
}
