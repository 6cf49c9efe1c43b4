import { performance } from 'node:perf_hooks';
import { inspectOptionsOf, type InspectorSettings } from '../config/inspect-options.js';
import type { Envelope } from '../core/envelope.js';
import { inspect, type InspectOptions } from '../core/inspect.js';
import type { Inspection } from '../core/verdict.js';

/**
 * What became of one inspection. A verdict, or one of the two ways the machinery itself
 * can fail, each of which the filter turns into a tempfail (the sender keeps the message):
 * the queue was full, or the worker died under the message (a crash, or its memory limit).
 * A worker stopped at its deadline is not a failure: the message was not inspected, and
 * that is the `limits/time` finding of an `inspected` outcome, for the policy to act on.
 */
export type InspectionOutcome =
  | { readonly kind: 'inspected'; readonly inspection: Inspection; readonly ms: number }
  | { readonly kind: 'busy' }
  | { readonly kind: 'failed'; readonly reason: 'crash' | 'memory'; readonly detail: string };

/** What one inspection asks for beyond the configured options (PPAP pairing). */
export interface InspectRequest {
  /** Passwords another mail of the same sender stated, tried first (secrets). */
  readonly pairedPasswords?: readonly string[];
  /** Report the passwords this mail states (Inspection.statedPasswords). */
  readonly statedPasswords?: boolean;
}

/** Runs the inspection core for the filter: inline, or in a pool of worker threads. */
export interface Inspector {
  inspect(envelope: Envelope, message: Buffer, request?: InspectRequest): Promise<InspectionOutcome>;
  /** Resolves once inspections can start at once (the workers have loaded); rejects if they cannot. */
  ready(): Promise<void>;
  /** New limits and brand catalog (SIGHUP); inspections already running finish with the old. */
  reconfigure(settings: InspectorSettings): void;
  /** Stops the workers; inspections still waiting end as failed. */
  close(): Promise<void>;
}

/**
 * The inspection core on the calling thread: for `sekisho scan`, for tests, and with
 * `inspect.threads: 0` for debugging. Nothing bounds its time from outside, so the daemon
 * uses it only when the admin asks for it.
 */
export class InlineInspector implements Inspector {
  private options: InspectOptions;

  constructor(settings: InspectorSettings) {
    this.options = inspectOptionsOf(settings);
  }

  async inspect(envelope: Envelope, message: Buffer, request: InspectRequest = {}): Promise<InspectionOutcome> {
    const started = performance.now();
    const inspection = await inspect(envelope, message, { ...this.options, ...request });
    return { kind: 'inspected', inspection, ms: performance.now() - started };
  }

  async ready(): Promise<void> {}

  reconfigure(settings: InspectorSettings): void {
    this.options = inspectOptionsOf(settings);
  }

  async close(): Promise<void> {}
}
