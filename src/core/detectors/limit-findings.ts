import type { Unscannable, UnscannableReason } from '../limits.js';
import type { Finding } from '../verdict.js';

const WHAT: Record<UnscannableReason, string> = {
  depth: 'nested too deep',
  'decompressed-bytes': 'decompresses to more than the per-message allowance',
  ratio: 'expands suspiciously (zip bomb?)',
  entries: 'has too many entries',
  parts: 'has too many MIME parts',
  'overlapping-entries': 'has overlapping entries (a zip bomb construction)',
  time: 'took longer than the inspection time budget',
  'corrupt-zip': 'is a damaged or malformed zip',
  'corrupt-ole': 'is a damaged or malformed Office (OLE) file',
  'corrupt-mime': 'has a MIME structure that cannot be parsed',
  'unsupported-zip': 'uses a zip feature sekisho cannot decode',
  'unsupported-archive': 'is an archive format sekisho does not open',
  'analysis-error': 'could not be analysed (internal error)',
  'message-size': 'is larger than the size limit (smtp.max_message_bytes)',
};

/** "Not inspected" is a finding of its own, never a silent pass: the verdict becomes unscannable. */
export function limitFinding(path: string, error: Unscannable): Finding {
  return {
    detector: 'limits',
    code: error.reason,
    severity: 'medium',
    summary: `Not fully inspected: ${path || 'the message'} ${WHAT[error.reason]}`,
    evidence: { part: path, reason: error.reason, detail: error.detail },
  };
}
