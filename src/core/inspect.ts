import type { Envelope } from './envelope.js';
import { CLEAN_VERDICT, type Verdict } from './verdict.js';

/**
 * The inspection core: one pure function from an envelope and the raw message bytes to
 * a verdict. No sockets, files, timers or globals, so the SMTP proxy, the milter, the
 * `scan` command and the tests all get the same answer for the same bytes.
 *
 * The detectors (macros and archives, brand impersonation) plug in here as they land;
 * until then every message is clean.
 */
export function inspect(_envelope: Envelope, _message: Buffer): Verdict {
  return CLEAN_VERDICT;
}
