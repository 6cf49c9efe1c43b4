/** Types for soak-ledger.mjs (the ledger is plain ESM so that bench/soak.mjs runs without a build step). */
export interface Attempt {
  readonly mailFrom: string;
  readonly outcome: '250' | '4xx' | '5xx' | 'none';
  readonly afterDot: boolean;
  readonly phase?: string;
}
export interface LedgerInput {
  readonly messages: Map<string, { readonly kind: string; readonly message: Buffer; readonly attempts: readonly Attempt[] }>;
  readonly sink: ReadonlyArray<{ readonly mailFrom: string; readonly data: Buffer }>;
  readonly quarantine: ReadonlyArray<{ readonly id: string; readonly mailFrom: string; readonly raw: Buffer; readonly whole: boolean; readonly problem?: string }>;
  readonly unacknowledged: ReadonlySet<string>;
}
export interface LedgerCounts {
  sent: number;
  attempts: number;
  '250': number;
  '4xx': number;
  '5xx': number;
  none: number;
  delivered: number;
  quarantined: number;
  lost: number;
  duplicated: number;
  duplicatedOnLost250: number;
  copiesOnLost250: number;
  notWhole: number;
  stray: number;
}
export interface Ledger {
  readonly counts: LedgerCounts;
  readonly final: Record<'250' | '4xx' | '5xx' | 'none', number>;
  readonly noReply: Record<string, number>;
  readonly lost: string[];
  readonly duplicated: string[];
  readonly problems: string[];
  readonly stray: Array<{ mailFrom: string; where: string }>;
  readonly ok: boolean;
}
export declare function checkLedger(input: LedgerInput): Ledger;
