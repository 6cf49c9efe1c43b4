import type { InspectorSettings } from '../config/inspect-options.js';
import type { Envelope } from '../core/envelope.js';
import type { Inspection } from '../core/verdict.js';
import type { HeaderFacts } from '../message/header-facts.js';
import type { InspectRequest } from './inspector.js';

/** What the pool posts to an inspection worker. */
export type ToWorker =
  | { readonly type: 'inspect'; readonly id: number; readonly envelope: Envelope; readonly request: InspectRequest; readonly message: Uint8Array }
  | { readonly type: 'configure'; readonly settings: InspectorSettings };

/** What an inspection worker posts back: ready once, then per message its header facts and its verdict. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'headers'; readonly id: number; readonly headers: HeaderFacts; readonly sha256: string }
  | { readonly type: 'done'; readonly id: number; readonly inspection: Inspection };
