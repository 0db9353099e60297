/**
 * Fixture trees for scanner tests, built in a fresh temp folder and removed afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A tree spec: key = `/`-separated relative path; value = file contents (string or bytes), `null` for an empty folder,
 * or `{ symlink: target }` for a symbolic link (target as written, relative to the link's folder or absolute).
 */
export type TreeSpec = Record<string, string | Uint8Array | null | { symlink: string }>;

/** A small non-empty stand-in for an image; the scanner never decodes. */
export const IMG = 'not really an image, but not empty';

export function makeTree(spec: TreeSpec): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-scan-'));
  writeTree(root, spec);
  return root;
}

export function writeTree(root: string, spec: TreeSpec): void {
  for (const [rel, value] of Object.entries(spec)) {
    const abs = path.join(root, ...rel.split('/'));
    if (value === null) {
      fs.mkdirSync(abs, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof value === 'object' && !(value instanceof Uint8Array)) fs.symlinkSync(value.symlink, abs);
    else fs.writeFileSync(abs, value);
  }
}

export function removeTree(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}
