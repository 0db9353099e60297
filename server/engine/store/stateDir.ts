/**
 * The one name of LabelLint's state folder under a dataset root. What lives in it and who writes it:
 * `cache.db` + `reviews.json` + `.gitignore` (store/cache.ts), `thumbs/` (dataset/thumbs.ts), and the
 * reports the CLI writes when no `--out` is given (server/cli.ts).
 */
import * as path from 'node:path';

/** Folder under the dataset root that holds LabelLint's state. */
export const STATE_DIR = '.labellint';

/** `<root>/.labellint`. */
export function stateDir(root: string): string {
  return path.join(root, STATE_DIR);
}
