import path from 'node:path';
import type { Config } from '../config/schema.js';
import { FilePasswordVault, type PasswordVault } from './password-vault.js';
import type { PpapSettings } from './ppap-pairing.js';

export function ppapSettings(config: Config): PpapSettings {
  return { windowMs: config.ppap.window, matchHeaderFrom: config.ppap.match_header_from, releaseHeader: config.ppap.release_header };
}

/** Where password-only mails' passwords wait for their zip: beside the quarantine, readable only by sekisho. */
export function createPasswordVault(config: Config): PasswordVault {
  return new FilePasswordVault(path.join(config.quarantine.dir, 'ppap-passwords'));
}
