import cluster from 'node:cluster';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';
import { startDaemon } from './daemon.js';
import { onTermination, reloadConfig } from './signals.js';

/**
 * `sekisho serve`: one process, or with `smtp.workers` > 1 a cluster primary that forks
 * the workers (they share the listening socket) and relays signals to them.
 *
 * Signals: SIGTERM/SIGINT drain and exit; SIGHUP re-reads the configuration file and
 * applies it when valid, keeping the old one (and every connection) when not.
 */
export async function serve(loaded: LoadedConfig, logger: Logger, metrics: Metrics): Promise<void> {
  if (loaded.config.smtp.workers > 1) return runPrimary(loaded, logger, metrics);
  const daemon = await startDaemon(loaded, logger, { admin: true, metrics });
  let current = loaded;
  process.on('SIGHUP', () => {
    const next = reloadConfig(current.file, logger);
    metrics.configReloads.inc({ result: next ? 'ok' : 'refused' });
    if (!next) return;
    daemon.reload(next);
    current = next;
  });
  onTermination(logger, () => daemon.drain());
}

/** Entry of a cluster worker process (forked by the primary, same script). */
export function serveWorker(logger: Logger, metrics: Metrics): Promise<void> {
  if (!cluster.isWorker) throw new Error('serveWorker outside a cluster worker');
  return runWorker(logger, metrics);
}
