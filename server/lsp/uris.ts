/**
 * File-path ↔ URI helpers for the language server. Outgoing URIs use Node's `pathToFileURL`;
 * incoming ones (from vscode-uri, which encodes more characters) are compared after decoding to a path,
 * never as strings.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

export function fileUri(absPath: string): string {
  return pathToFileURL(absPath).href;
}

/** The file-system path of a `file:` URI, or null for any other scheme or a malformed URI. */
export function uriToPath(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

/** Inside-the-root checks live in one place (by path text and by real path). */
export { lexicallyInside as isInside, realInsideSync } from '../engine/dataset/safePath';

/** `root`-relative path with `/` separators. */
export function toRel(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

/** Absolute path of a root-relative `/`-separated path. */
export function toAbs(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}
