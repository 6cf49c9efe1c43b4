import { readFile } from 'node:fs/promises';
import type { Verdict } from '../core/verdict.js';
import { filterMessage, type FilterDeps } from '../filter/filter-message.js';
import { newTransactionId } from '../message/transaction-id.js';
import type { Decision } from '../policy/decide.js';

export interface ScanResult {
  readonly file: string;
  readonly verdict?: Verdict;
  readonly decision?: Decision;
  readonly error?: string;
}

/**
 * `sekisho scan`: .eml files through the same filter the proxy and the milter call (same
 * inspection, in the same worker pool with the same deadline, same policy), with nothing
 * held or sent: what the daemon would have done with them.
 */
export async function scanFiles(files: readonly string[], deps: FilterDeps, readStdin: () => Promise<Buffer>): Promise<ScanResult[]> {
  const results: ScanResult[] = [];
  for (const file of files) {
    let message: Buffer;
    try {
      message = file === '-' ? await readStdin() : await readFile(file);
    } catch (err) {
      results.push({ file, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
      continue;
    }
    const input = { id: newTransactionId(), receivedAt: new Date(), mail: { address: '', smtpUtf8: false }, rcpts: [], client: {}, message };
    const disposition = await filterMessage(input, deps);
    const { inspection, decision, failure } = disposition.report;
    results.push(inspection ? { file, verdict: inspection, decision } : { file, error: `not inspected: ${failure ?? disposition.kind}` });
  }
  return results;
}

/** One JSON object per file per line: {"file","verdict","action","score","findings"}. */
export function formatJson(result: ScanResult): string {
  if (!result.verdict) return JSON.stringify({ file: result.file, error: result.error });
  const v = result.verdict;
  return JSON.stringify({ file: result.file, verdict: v.verdict, action: result.decision?.action.kind, score: v.score, findings: v.findings });
}

export function formatText(result: ScanResult): string {
  if (!result.verdict) return `${result.file}: cannot read (${result.error})`;
  const v = result.verdict;
  const lines = [`${result.file}: ${v.verdict} (score ${v.score}) → ${result.decision?.action.kind}`];
  for (const f of v.findings) lines.push(`  [${f.severity}] ${f.detector}/${f.code}: ${f.summary}`);
  return lines.join('\n');
}
