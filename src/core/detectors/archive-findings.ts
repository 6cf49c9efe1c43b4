import type { Password } from '../content/inspection-context.js';
import type { Finding } from '../verdict.js';

/**
 * The `archive` detector: encryption hides content from every scanner, which is exactly
 * why Emotet sent password zips with the password in the mail body (PPAP).
 */

export function encryptedZipFinding(path: string, encrypted: readonly string[], officeNames: readonly string[], tried: number): Finding {
  const office = officeNames.length > 0;
  return {
    detector: 'archive',
    code: office ? 'encrypted-office-zip' : 'encrypted-zip',
    severity: office ? 'high' : 'medium',
    summary: office
      ? `Password-protected zip ${path} holds Office files (${officeNames.slice(0, 3).join(', ')}) that could not be opened: the Emotet pattern`
      : `Password-protected zip ${path} could not be opened; its ${encrypted.length} encrypted file(s) were not inspected`,
    evidence: { part: path, encrypted, office_names: officeNames, passwords_tried: tried },
  };
}

export function openedZipFinding(path: string, encrypted: readonly string[], password: Password): Finding {
  return {
    detector: 'archive',
    code: 'encrypted-zip-opened',
    severity: 'info',
    summary: `Password-protected zip ${path} opened with a password ${passwordOrigin(password.source)}; its contents were inspected`,
    evidence: { part: path, encrypted, password_source: password.source },
  };
}

export function encryptedDocumentFinding(path: string, kind: string): Finding {
  return {
    detector: 'archive',
    code: 'encrypted-document',
    severity: 'medium',
    summary: `Encrypted Office document ${path}: its contents cannot be checked`,
    evidence: { part: path, encryption: kind },
  };
}

export function openedDocumentFinding(path: string, kind: string, source: 'default' | Password['source']): Finding {
  const how = source === 'default' ? "Excel's default password (VelvetSweatshop: write protection only)" : `a password ${passwordOrigin(source)}`;
  return {
    detector: 'archive',
    code: 'encrypted-document-opened',
    severity: 'info',
    summary: `Encrypted Office document ${path} opened with ${how}; its contents were inspected`,
    evidence: { part: path, encryption: kind, password_source: source },
  };
}

function passwordOrigin(source: Password['source']): string {
  return source === 'mail' ? 'stated in the mail itself' : source === 'paired' ? 'stated in a later mail of the same sender (PPAP pairing)' : 'from the configured list';
}
