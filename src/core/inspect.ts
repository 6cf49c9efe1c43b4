import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BrandChecker } from './brand/brand-checker.js';
import { brandInput } from './brand/brand-input.js';
import { inspectMessage } from './content/content-walker.js';
import { InspectionContext, InspectionStopped } from './content/inspection-context.js';
import { limitFinding } from './detectors/limit-findings.js';
import type { Envelope } from './envelope.js';
import { Budget, DEFAULT_LIMITS, Unscannable, type InspectLimits } from './limits.js';
import { verdictOf } from './scoring.js';
import { headerFactsOf, type HeaderFacts } from '../message/header-facts.js';
import type { Inspection } from './verdict.js';

export interface InspectOptions {
  /** Any limit not given keeps its default (DEFAULT_LIMITS). */
  readonly limits?: Partial<InspectLimits>;
  /** The admin's passwords to try on encrypted archives, after those the mail states. */
  readonly passwords?: readonly string[];
  /** Monotonic milliseconds; tests pass their own to run out of time on purpose. */
  readonly now?: () => number;
  /** The brand detector with its catalog; without it no brand checks run. */
  readonly brands?: BrandChecker;
  /** Passwords another mail of the same sender stated (PPAP pairing): tried first. */
  readonly pairedPasswords?: readonly string[];
  /**
   * Report the passwords this mail states (Inspection.statedPasswords), for pairing with a
   * zip of the same sender held earlier or later. Off by default: most mail needs no such
   * reading, and the words are secrets that only the pairing may see.
   */
  readonly statedPasswords?: boolean;
  /** Header facts and digest already read (a worker reads them first and reports them before inspecting). */
  readonly headers?: HeaderFacts;
  readonly sha256?: string;
}

/**
 * The inspection core: an envelope and the raw message bytes in, a verdict out. It opens
 * no sockets or files and sets no timers, so the SMTP proxy, the milter, `sekisho scan`
 * and the tests all get the same answer for the same bytes. It never throws: whatever
 * could not be inspected is a `limits` finding and makes the verdict unscannable.
 *
 * Asynchronous only because inflating and hashing run on libuv's thread pool instead of
 * blocking the event loop that also serves the SMTP connections.
 */
export async function inspect(envelope: Envelope, message: Buffer, options: InspectOptions = {}): Promise<Inspection> {
  const headers = options.headers ?? headerFactsOf(message);
  const sha256 = options.sha256 ?? messageDigest(message);
  const limits: InspectLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const budget = new Budget(limits, options.now ?? (() => performance.now()));
  const brands = options.brands;
  const ctx = new InspectionContext(budget, limits.maxPasswordTries, brands && ((tree) => brands.check(brandInput(envelope, tree))));
  ctx.offerPasswords((options.pairedPasswords ?? []).map((password) => ({ password, source: 'paired' as const })));
  ctx.offerPasswords((options.passwords ?? []).map((password) => ({ password, source: 'configured' as const })));
  try {
    await inspectMessage({ bytes: message, path: '', archiveDepth: 0, messageDepth: 0 }, ctx);
  } catch (err) {
    if (err instanceof InspectionStopped) ctx.add(limitFinding(err.path, err.reason));
    else if (err instanceof Unscannable) ctx.add(limitFinding('', err));
    else ctx.add(limitFinding('', new Unscannable('analysis-error', err instanceof Error ? err.message : String(err))));
  }
  const stated = options.statedPasswords ? [...ctx.statedPasswords] : [];
  return { ...verdictOf(ctx.findings), headers, sha256, ...(stated.length > 0 ? { statedPasswords: stated } : {}) };
}

/** The message's SHA-256, hex. */
export function messageDigest(message: Buffer): string {
  return createHash('sha256').update(message).digest('hex');
}

/**
 * The inspection of a message whose inspection was cut off from outside (its worker thread
 * still busy at the time budget, and terminated): not inspected, so unscannable.
 */
export function cutOffInspection(headers: HeaderFacts, sha256: string, budgetMs: number): Inspection {
  return { ...verdictOf([limitFinding('', new Unscannable('time', `inspection stopped at the ${budgetMs} ms time budget`))]), headers, sha256 };
}

/**
 * The inspection of a message over the ingress's size limit that the ingress must still
 * answer for (the milter: the MTA has taken the message already). Only its header block
 * was kept: not inspected, so unscannable, and the policy decides as for any other limit.
 */
export function oversizedInspection(headers: HeaderFacts, bytes: number, limit: number): Inspection {
  return { ...verdictOf([limitFinding('', new Unscannable('message-size', `${bytes} bytes, over the ${limit} byte limit`))]), headers, sha256: '' };
}
