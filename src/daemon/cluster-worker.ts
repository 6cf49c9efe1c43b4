import type { Logger } from '../log/logger.js';
import { isToWorker, type ToPrimary } from './cluster-messages.js';
import { startDaemon, type Daemon } from './daemon.js';
import { onTermination } from './signals.js';

/** A cluster worker: runs the daemon on the configuration its primary sends. */
export async function runWorker(logger: Logger): Promise<void> {
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
        startDaemon(message.loaded, logger, { admin: false }).then(
          (started) => {
            daemon = started;
            send({ type: 'listening', port: started.smtpAddress.port });
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
    }
  });
  send({ type: 'ready' });
}
