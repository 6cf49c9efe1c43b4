import type { LoadedConfig } from '../config/load-config.js';

/**
 * Messages between the cluster primary and its workers. The primary parses and validates
 * the configuration and sends the result, so every worker runs the same checked config
 * even if the file changes while they start.
 */
export type ToWorker =
  | { readonly type: 'start'; readonly loaded: LoadedConfig }
  | { readonly type: 'reload'; readonly loaded: LoadedConfig }
  | { readonly type: 'drain' }
  /** Send your metrics (prom-client JSON) for the primary's /metrics. */
  | { readonly type: 'metrics'; readonly id: number };

export type ToPrimary =
  /** The worker listens for messages: send it 'start'. */
  | { readonly type: 'ready' }
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'start-failed'; readonly error: string }
  | { readonly type: 'metrics'; readonly id: number; readonly json: unknown[] };

export function isToWorker(message: unknown): message is ToWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'start' || type === 'reload' || type === 'drain' || type === 'metrics';
}

export function isToPrimary(message: unknown): message is ToPrimary {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'listening' || type === 'start-failed' || type === 'metrics';
}
