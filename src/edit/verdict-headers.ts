/**
 * The X-Sekisho-* fields a tagged message carries, for the recipient's mail rules and for
 * the admin reading the headers. Only the verdict, the score and finding codes go in:
 * summaries and evidence name files and senders, text the attacker chose, and a header is
 * no place to echo that.
 */

export interface VerdictHeaderInput {
  readonly verdict: string;
  readonly score: number;
  readonly findings: readonly { readonly detector: string; readonly code: string; readonly severity: string }[];
}

/** Enough for any real verdict; a message built to yield thousands of findings gets a count. */
const MAX_FINDINGS = 30;
/** One finding always fits on a continuation line (" " + item + ";" within 78). */
const MAX_ITEM = 72;

/**
 * [name, value] pairs for MessageEdits.addHeaders; editMessage folds them at the "; "
 * between findings, the only whitespace in the value.
 */
export function verdictHeaders(input: VerdictHeaderInput): Array<readonly [string, string]> {
  const score = Number.isFinite(input.score) ? Math.round(input.score) : 0;
  const headers: Array<readonly [string, string]> = [
    ['X-Sekisho-Verdict', token(input.verdict) || 'unknown'],
    ['X-Sekisho-Score', String(score)],
  ];
  const items = [
    ...new Set(input.findings.map((f) => `${token(f.detector)}/${token(f.code)}=${token(f.severity)}`.slice(0, MAX_ITEM))),
  ];
  if (items.length > 0) {
    const shown = items.slice(0, MAX_FINDINGS);
    if (items.length > MAX_FINDINGS) shown.push(`+${items.length - MAX_FINDINGS}`);
    headers.push(['X-Sekisho-Findings', shown.join('; ')]);
  }
  return headers;
}

/**
 * Printable ASCII without whitespace or the list's own separators: a code is ours, but a
 * value built from a file or a config could still carry a space (a fold point inside an
 * item), a ";" or "=" (a forged item) or a non-ASCII character (an 8-bit header).
 */
function token(text: string): string {
  return text.replace(/[^\x21-\x7e]|[;=]/g, '_');
}
