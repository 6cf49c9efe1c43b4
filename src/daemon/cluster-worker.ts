import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { isToWorker, type ToPrimary } from './cluster-messages.js';
import { startDaemon, type Daemon } from './daemon.js';
import { onTermination } from './signals.js';

/** A cluster worker: runs the daemon on the configuration its primary sends. */
export async function runWorker(logger: Logger, metrics: Metrics): Promise<void> {
  let daemon: Daemon | undefined;
  const send = (message: ToPrimary) => process.send?.(message);
  // SIGHUP to the process group reaches workers too; the primary does the reload.
  process.on('SIGHUP', () => undefined);
  const stop = onTermination(logger, async () => {
    await daemon?.drain();
  });
  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    switch (message.type) {
      case 'start':
        startDaemon(message.loaded, logger, { admin: false, metrics }).then(
          (started) => {
            daemon = started;
            send({ type: 'listening', port: started.smtpAddress?.port ?? started.milterAddress?.port ?? 0 });
          },
          (err: unknown) => {
            send({ type: 'start-failed', error: err instanceof Error ? err.message : String(err) });
            logger.flush(() => process.exit(1));
          },
        );
        break;
      case 'reload':
        daemon?.reload(message.loaded);
        break;
      case 'drain':
        stop('primary asked to drain');
        break;
      case 'metrics':
        metrics.registry.getMetricsAsJSON().then(
          (json) => send({ type: 'metrics', id: message.id, json }),
          () => send({ type: 'metrics', id: message.id, json: [] }),
        );
        break;
    }
  });
  send({ type: 'ready' });
}
