import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/**
 * The absolute path of a tool a test needs (Postfix, swaks, openssl), from PATH plus the
 * sbin directories, which a non-root PATH often lacks and where Debian puts postfix,
 * smtp-sink and smtp-source. A missing tool is an error, never a skip: a skipped interop
 * test is a green result that proves nothing. `.ci/run` installs them.
 */
export function requireTool(name: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is required by this test but was not found on PATH or in ${SBIN.join(', ')}. These tests never skip. ` +
      'Install the tools as .ci/run does: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix swaks miltertest openssl zip p7zip-full chromium prometheus ' +
      '(debconf "postfix/main_mailer_type" = "No configuration").',
  );
}
