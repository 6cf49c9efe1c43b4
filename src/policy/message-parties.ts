import type { HeaderFacts } from '../message/header-facts.js';
import type { MessageParties } from './decide.js';

/** The envelope and the From header's addresses (read during inspection), for the allowlists. */
export function messageParties(mailFrom: string, recipients: readonly string[], headers: Pick<HeaderFacts, 'from' | 'fromCut'>): MessageParties {
  return { mailFrom, headerFrom: headers.from, headerFromCut: headers.fromCut === true, recipients };
}
