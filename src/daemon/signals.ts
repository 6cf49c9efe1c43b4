import { ConfigError, loadConfig, type LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';

/** Reads the configuration again; a bad file is logged and refused (the old one stays). */
export function reloadConfig(file: string, logger: Logger): LoadedConfig | undefined {
  try {
    return loadConfig(file);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [String(err)];
    logger.error({ event: 'reload', result: 'refused', file, problems }, 'new configuration refused; keeping the running one');
    return undefined;
  }
}

/**
 * Drains once on the first SIGTERM/SIGINT, then exits 0. Returns the same stop function
 * for callers that are told to stop by other means (a cluster worker by its primary).
 */
export function onTermination(logger: Logger, drain: () => Promise<void>): (reason: string) => void {
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'shutdown', reason }, 'shutting down');
    drain()
      .catch((err: unknown) => logger.error({ err }, 'drain failed'))
      .finally(() => logger.flush(() => process.exit(0)));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return stop;
}
