/** Types for soak-run.mjs, for test/soak/soak-short.test.ts. */
import type { Ledger } from './soak-ledger.mjs';

export interface SoakOptions {
  seconds?: number;
  seed?: number;
  clients?: number;
  attackers?: number;
  short?: boolean;
  drainSeconds?: number;
  keep?: boolean;
  progress?: (line: string) => void;
}
export interface SlowlorisStats {
  runs: number;
  cut: number;
  cutMs: number[];
  other: Record<string, number>;
}
export interface SoakReport {
  seed: number;
  seconds: number;
  trafficSeconds: number;
  ledger: Ledger;
  byKind: Record<string, Record<'sent' | '250' | '4xx' | '5xx' | 'none', number>>;
  quarantine: { entries: number; orphans: number; tmp: number };
  faults: { injected: number; actions: Record<string, number>; periods: Record<string, number>; unacknowledgedAtNextHop: number };
  chaos: { crashes: number; workerKills: number; gracefulRestarts: number; restarts: number; unexpectedExits: number; faultPeriods: Record<string, number> };
  memory: { peakRss: number; peakGroupRss: number; budget: number; underBudget: boolean; epochs: Array<{ workers: number; peakRss: number }> };
  slowloris: Record<string, SlowlorisStats>;
  slowClients: { paced: number; pacedCut: number };
  deadlines: { transactionMs: number; dataMs: number; rateGraceMs: number; minDataRate: number };
  errors: string[];
  finalStop: { code: number | null; signal: string | null };
  /** The load averages (1, 5, 15 min) when the run started and when it ended. */
  load: { start: number[]; end: number[] };
  dir: string;
  ok: boolean;
}
export declare const MAX_MESSAGE_BYTES: number;
export declare const MAX_INFLIGHT_BYTES: number;
export declare const RSS_BUDGET_BYTES: number;
export declare function runSoak(options?: SoakOptions): Promise<SoakReport>;
