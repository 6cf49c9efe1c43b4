import { execFileSync } from 'node:child_process';

/**
 * Tests that need a real tool (Postfix, swaks, openssl) fail loudly when it is missing:
 * a skipped interop test would be a green result that proves nothing. `.ci/run` installs them.
 */
export function requireTool(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is required by this test but is not installed (CI installs it in .ci/run: apt-get install postfix swaks openssl)`);
  }
}
