import type { Budget, Unscannable } from '../limits.js';
import type { MimeTree } from '../mime/mime-walker.js';
import type { Finding } from '../verdict.js';

/** A file met during the walk: a MIME leaf, an archive member, a decrypted package. */
export interface Blob {
  readonly bytes: Buffer;
  /** Where it is, for evidence: "2/invoice.zip/請求書.xlsm". */
  readonly path: string;
  /** Its own file name, when it has one. */
  readonly name?: string;
  /** The Office document it is a part of (an OOXML package member), for evidence. */
  readonly document?: string;
  /** Archives around it (a zip attachment's members are at 1). */
  readonly archiveDepth: number;
  /** Messages around it (the message itself is 0). */
  readonly messageDepth: number;
}

/** Where a finding is, as an admin reads it: the document, and the part inside it if any. */
export interface Location {
  /** "2/invoice.zip/請求書.xlsm" */
  readonly part: string;
  /** "xl/vbaProject.bin", when the finding is about one part of an Office document. */
  readonly inner?: string;
}

/** "2/a.zip/x.xlsm (xl/vbaProject.bin)": a location as findings' summaries show it. */
export function where(at: Location): string {
  return at.inner ? `${at.part} (${at.inner})` : at.part;
}

/** A location as findings' evidence records it. */
export function evidenceOf(at: Location): Record<string, string> {
  return at.inner ? { part: at.part, inner: at.inner } : { part: at.part };
}

export function locationOf(blob: Blob): Location {
  const doc = blob.document;
  if (doc === undefined || !blob.path.startsWith(`${doc}/`)) return { part: blob.path };
  return { part: doc, inner: blob.path.slice(doc.length + 1) };
}

/** A password to try on encrypted archives and documents, and where it came from. */
export interface Password {
  readonly password: string;
  /** "mail": stated in the message itself (the PPAP pattern); "configured": the admin's list. */
  /** mail: stated in this mail; paired: stated in another mail of the same sender (PPAP); configured: the admin's list. */
  readonly source: 'mail' | 'paired' | 'configured';
}

/**
 * The state of one inspect() call: the findings so far, the shared budget, and the
 * passwords the message offers. Created per message, never shared.
 */
export class InspectionContext {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private readonly known: Password[] = [];
  private readonly stated: string[] = [];
  /** Messages whose stated passwords are read only when something encrypted needs them. */
  private readonly pending: Array<() => readonly Password[]> = [];

  constructor(
    readonly budget: Budget,
    private readonly maxPasswords: number,
    /** Checks of the message as a whole (its sender, its text, its links): the brand detector. */
    readonly checkTopLevel?: (tree: MimeTree) => readonly Finding[],
  ) {}

  add(...findings: Finding[]): void {
    this.findings.push(...findings);
  }

  /** The passwords to try, mail-stated first; reading the message texts happens here, once. */
  get passwords(): readonly Password[] {
    for (let next = this.pending.shift(); next; next = this.pending.shift()) this.offerPasswords(next());
    return this.known;
  }

  /**
   * A message's stated passwords, computed on first need: most mail carries nothing
   * encrypted, and scanning its text for "パスワード" would be most of its inspection time.
   */
  offerPasswordsLater(source: () => readonly Password[]): void {
    this.pending.push(source);
  }

  /**
   * Every password the message states, in order, whatever the try list kept of them (PPAP
   * pairing remembers these for the zip that comes later): a stated password that is also a
   * configured one, or one past the limit, is still stated.
   */
  get statedPasswords(): readonly string[] {
    void this.passwords;
    return this.stated;
  }

  /**
   * Adds passwords (deduplicated, mail-stated ones keep their place ahead), up to the limit.
   * A mail-stated password offered at the limit pushes out the last configured one: what
   * the mail says is likelier to open its own attachment than the site's list.
   */
  offerPasswords(passwords: readonly Password[]): void {
    for (const p of passwords) {
      if (p.source === 'mail' && !this.stated.includes(p.password)) this.stated.push(p.password);
      if (this.seen.has(p.password)) continue;
      const firstConfigured = this.known.findIndex((q) => q.source === 'configured');
      if (this.known.length >= this.maxPasswords) {
        if (p.source !== 'mail' || firstConfigured === -1) continue;
        const lastConfigured = this.known.map((q) => q.source).lastIndexOf('configured');
        this.known.splice(lastConfigured, 1);
      }
      this.seen.add(p.password);
      if (p.source === 'mail' && firstConfigured !== -1) this.known.splice(firstConfigured, 0, p);
      else this.known.push(p);
    }
  }
}

/** A message-wide limit was hit (see stopsInspection): the walk stops, the finding is recorded once. */
export class InspectionStopped extends Error {
  constructor(
    readonly path: string,
    readonly reason: Unscannable,
  ) {
    super(reason.message);
    this.name = 'InspectionStopped';
  }
}

