/** Which files are images: the one list of extensions the scanner and the labels-CSV rules share. */
import * as path from 'node:path';

/**
 * Image file extensions the scanner accepts: lowercase, with the leading dot, as `path.extname` returns them.
 */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff'];
const IMAGE_EXTENSION_SET: ReadonlySet<string> = new Set(IMAGE_EXTENSIONS);

/** True when the file name (or path) ends in an image extension, case-insensitive. */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSION_SET.has(path.extname(name).toLowerCase());
}
