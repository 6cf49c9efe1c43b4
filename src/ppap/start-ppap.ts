import type { LoadedConfig } from '../config/load-config.js';
import type { Inspector } from '../filter/inspector.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { policyFromConfig } from '../policy/policy-config.js';
import { QuarantineAdmin } from '../quarantine/quarantine-admin.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import type { ReleaseTransport } from '../quarantine/release.js';
import { createPasswordVault, ppapSettings } from './create-ppap.js';
import { PpapPairing } from './ppap-pairing.js';

/** How often windows that are over are looked for (expired entries become plain quarantine). */
const PPAP_SWEEP_MS = 60_000;

/**
 * PPAP pairing over sekisho's own store; every daemon process pairs its own mail. The sweep
 * (`sweep: true`) runs only where the admin service does, as the retention purge: each sweep
 * reads every entry of the window, and one process per node is enough (sweeps of several
 * nodes sharing PostgreSQL skip the entries another has locked).
 */
export function startPpap(current: () => LoadedConfig, store: QuarantineStore, nextHop: () => ReleaseTransport, inspector: Inspector, logger: Logger, metrics: Metrics | undefined, sweep: boolean): { pairing: PpapPairing; stop(): void } {
  const admin = new QuarantineAdmin(store, nextHop, () => ({ releaseHeader: current().config.quarantine.release_header }), logger, (event, count) => {
    if (event === 'released') metrics?.quarantineReleased.inc(count);
  });
  const pairing = new PpapPairing(
    store,
    createPasswordVault(current().config, store),
    (id, options) => admin.release(id, options),
    inspector,
    () => policyFromConfig(current().config).policy,
    () => ppapSettings(current().config),
    metrics,
    logger,
  );
  if (!sweep) return { pairing, stop: () => undefined };
  const timer = setInterval(() => {
    pairing.sweep().catch((err: unknown) => logger.error({ err, event: 'ppap-sweep' }, 'ppap sweep failed'));
  }, PPAP_SWEEP_MS);
  timer.unref();
  return { pairing, stop: () => clearInterval(timer) };
}
