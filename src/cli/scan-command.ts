import { readFile } from 'node:fs/promises';
import { inspect, type InspectOptions } from '../core/inspect.js';
import type { Verdict } from '../core/verdict.js';
import { decide, DEFAULT_POLICY, type Decision, type Policy } from '../policy/decide.js';
import { messageParties } from '../policy/message-parties.js';

export interface ScanResult {
  readonly file: string;
  readonly verdict?: Verdict;
  readonly decision?: Decision;
  readonly error?: string;
}

/**
 * `sekisho scan`: the inspection core on .eml files, with what the policy would do.
 * The same inspect() the proxy calls, so a verdict here is the verdict in production.
 */
export async function scanFiles(files: readonly string[], options: InspectOptions, readStdin: () => Promise<Buffer>, policy: Policy = DEFAULT_POLICY): Promise<ScanResult[]> {
  const results: ScanResult[] = [];
  for (const file of files) {
    let message: Buffer;
    try {
      message = file === '-' ? await readStdin() : await readFile(file);
    } catch (err) {
      results.push({ file, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
      continue;
    }
    const verdict = await inspect({ mailFrom: '', rcptTo: [] }, message, options);
    results.push({ file, verdict, decision: decide(verdict, messageParties('', [], message), policy) });
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
