import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `bytes` to `dir/name` so that a reader (or a restart after a crash) sees either
 * the whole file or none: written under `tmpDir` (same file system), fsynced, renamed
 * into place. Callers fsync `dir` once after their last rename (fsyncDir) before they
 * tell anyone the data is safe: a 250 to an SMTP client is that promise.
 */
export async function writeDurably(dir: string, tmpDir: string, name: string, bytes: Buffer | string, tmpName = name): Promise<void> {
  const tmp = path.join(tmpDir, tmpName);
  const file = await open(tmp, 'wx', 0o640);
  try {
    await file.writeFile(bytes);
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  // Replaces an existing dir/name atomically: readers see the old or the new file.
  await rename(tmp, path.join(dir, name));
}

/** Makes the renames in `dir` durable (POSIX: a rename is only on disk once its directory is). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
