import { parseMailboxes } from '../core/brand/mailbox.js';
import { fieldKey, fieldValue, parseHeaderBlock } from '../edit/header-block.js';
import type { MessageParties } from './decide.js';

/** The envelope and the From header's addresses, for the allowlists. */
export function messageParties(mailFrom: string, recipients: readonly string[], message: Buffer): MessageParties {
  const from = parseHeaderBlock(message)
    .fields.filter((f) => fieldKey(f) === 'from')
    .flatMap((f) => parseMailboxes(fieldValue(f).toString('latin1').replace(/\r?\n[ \t]+/g, ' ')))
    .map((m) => m.address);
  return { mailFrom, headerFrom: from, recipients };
}
