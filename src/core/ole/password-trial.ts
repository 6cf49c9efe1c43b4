/** Passwords to try on one encrypted document, and the caller's clock. */
export interface PasswordTrial {
  readonly passwords: readonly string[];
  /** Passwords tried at most, the default one included. */
  readonly maxTries: number;
  /** Throws when the caller's time budget is spent; called between tries and inside long ones. */
  readonly checkTime?: () => void;
}

/**
 * Excel encrypts with this password when the author set none (write protection only), so a file
 * "encrypted" with it opens without a prompt: a known trick to hide macros from scanners.
 */
export const DEFAULT_OFFICE_PASSWORD = 'VelvetSweatshop';

/** The default password first, then the caller's, without repeats, at most `maxTries`. */
export function candidatePasswords(trial: PasswordTrial): string[] {
  const unique = [...new Set([DEFAULT_OFFICE_PASSWORD, ...trial.passwords])];
  return unique.slice(0, Math.max(0, trial.maxTries));
}
