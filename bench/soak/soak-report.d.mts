/** Types for soak-report.mjs. */
import type { SoakReport } from './soak-run.mjs';

export declare function formatReport(report: SoakReport): string;
