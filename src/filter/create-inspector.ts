import type { InspectorPlan, InspectorSettings } from '../config/inspect-options.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { InspectionPool } from './inspection-pool.js';
import { InlineInspector, type Inspector } from './inspector.js';

/** The inspector the configuration asks for: a worker pool, or inline with `inspect.threads: 0`. */
export function createInspector(settings: InspectorSettings, plan: InspectorPlan, logger?: Logger, metrics?: Metrics): Inspector {
  if (plan.threads > 0) return new InspectionPool(settings, plan, logger, metrics);
  logger?.warn({ event: 'inspect-inline' }, 'inspect.threads is 0: messages are inspected on the event loop, one hostile message can stall every session');
  metrics?.inspectWorkers.set(0);
  return new InlineInspector(settings);
}
