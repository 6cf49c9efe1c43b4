import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** A file under test/fixtures/. */
export function fixture(path: string): Buffer {
  return readFileSync(root + path);
}

/** The encrypted .docx attached to SpamAssassin's encrypted.eml (its body says the password is "password"). */
export function encryptedEmlDocx(): Buffer {
  const eml = fixture('mail-spamassassin/olevbmacro/encrypted.eml').toString('latin1');
  const match = /filename="encrypted_word_doc\.docx"\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(eml);
  if (match?.[1] === undefined) throw new Error('attachment not found in encrypted.eml');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

export { prng } from '../../helpers/prng.js';
