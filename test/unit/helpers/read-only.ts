/** Runs code as a user for whom a dataset folder is read-only (the store's per-user fallback is then used). */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * Runs `node -e script` with `root` read-only to it: as 'nobody' when the tests run as root (root writes anywhere),
 * else with `root` chmod'ed to 0555 for the run. HOME is `home`; XDG_CACHE_HOME and LABELLINT_CACHE_DIR are cleared,
 * so the per-user folder is `<home>/.cache/labellint`.
 */
export function runWithReadOnlyRoot(root: string, home: string, script: string): SpawnSyncReturns<string> {
  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: '', LABELLINT_CACHE_DIR: '' };
  if (process.getuid?.() === 0) {
    fs.chmodSync(home, 0o777);
    fs.chmodSync(root, 0o755);
    return spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, env, encoding: 'utf8' });
  }
  fs.chmodSync(root, 0o555);
  try {
    return spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  } finally {
    fs.chmodSync(root, 0o755);
  }
}
