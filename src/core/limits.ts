/**
 * Limits of one inspection. Every parser is bounded by them; hitting one is never a silent
 * pass but an `unscannable` finding of the `limits` detector that the policy acts on.
 */
export interface InspectLimits {
  /** Archives inside archives (a zip attachment is depth 1). */
  readonly maxArchiveDepth: number;
  /** Messages inside messages (message/rfc822 and attached .eml). */
  readonly maxMessageDepth: number;
  /** Bytes decompressed or decrypted for the whole message, counted as they are produced. */
  readonly maxDecompressedBytes: number;
  /** Uncompressed / compressed size of one archive entry. */
  readonly maxRatio: number;
  /** Entries smaller than this may have any ratio (a 1 KB file of spaces is no bomb). */
  readonly ratioExemptBytes: number;
  /** Entries of one archive. */
  readonly maxEntries: number;
  /** MIME parts of one message. */
  readonly maxParts: number;
  /** Wall time for the whole message. */
  readonly timeBudgetMs: number;
  /** Passwords tried on one encrypted archive. */
  readonly maxPasswordTries: number;
  /**
   * Passwords tried on one encrypted Office document. Each try of ECMA-376 agile encryption
   * hashes 100,000 times (~150 ms of CPU), so this stays small: Excel's default password
   * and the first few the mail states.
   */
  readonly maxDocumentPasswordTries: number;
}

export const DEFAULT_LIMITS: InspectLimits = Object.freeze({
  maxArchiveDepth: 4,
  maxMessageDepth: 8,
  maxDecompressedBytes: 256 * 1024 * 1024,
  maxRatio: 200,
  ratioExemptBytes: 64 * 1024 * 1024,
  maxEntries: 10_000,
  maxParts: 1_000,
  timeBudgetMs: 10_000,
  maxPasswordTries: 20,
  maxDocumentPasswordTries: 4,
});

/** Why something was not inspected: the `code` of its `limits` finding. */
export type UnscannableReason =
  | 'depth'
  | 'decompressed-bytes'
  | 'ratio'
  | 'entries'
  | 'parts'
  | 'overlapping-entries'
  | 'time'
  | 'corrupt-zip'
  | 'corrupt-ole'
  | 'corrupt-mime'
  | 'unsupported-zip'
  | 'unsupported-archive'
  | 'analysis-error'
  /** The message itself is over the ingress's size limit (milter: the MTA took it, so the policy decides). */
  | 'message-size';

/**
 * Limits that mark an attack on the scanner itself (a bomb, absurd nesting) or that concern
 * the whole message: the walk stops at the first one and it is recorded once. Legitimate
 * mail does not reach them, and the verdict (unscannable) would not change by going on.
 * The other reasons (a damaged or unsupported part) are recorded for that part only.
 */
const MESSAGE_WIDE: ReadonlySet<UnscannableReason> = new Set(['time', 'decompressed-bytes', 'depth', 'ratio', 'entries', 'overlapping-entries', 'parts']);

export function stopsInspection(error: Unscannable): boolean {
  return MESSAGE_WIDE.has(error.reason);
}

/**
 * Thrown by any parser or walker that cannot (or may not) go on. The content walker turns
 * it into a `limits` finding for the part being inspected; it never escapes inspect().
 */
export class Unscannable extends Error {
  constructor(
    readonly reason: UnscannableReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'Unscannable';
  }
}

/**
 * The shared allowance of one inspection: bytes produced by decompression/decryption and
 * wall time. Time is read through an injected clock, so the core has no timers or globals
 * and tests can run out of time on purpose.
 */
export class Budget {
  private produced = 0;
  private readonly deadline: number;

  constructor(
    readonly limits: InspectLimits,
    private readonly now: () => number,
  ) {
    this.deadline = now() + limits.timeBudgetMs;
  }

  /** Counts `bytes` more output; throws when the message's allowance is used up. */
  charge(bytes: number): void {
    this.produced += bytes;
    if (this.produced > this.limits.maxDecompressedBytes) {
      throw new Unscannable('decompressed-bytes', `more than ${this.limits.maxDecompressedBytes} bytes decompressed for this message`);
    }
  }

  /** Throws once the time budget is spent. Call it between units of work. */
  checkTime(): void {
    if (this.now() > this.deadline) throw new Unscannable('time', `inspection took longer than ${this.limits.timeBudgetMs} ms`);
  }

  /** Bytes that may still be produced. */
  get remainingBytes(): number {
    return Math.max(0, this.limits.maxDecompressedBytes - this.produced);
  }
}
