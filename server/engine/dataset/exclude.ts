/**
 * Exclude globs (`labelLint.exclude`, `--exclude`), in the syntax VS Code users write: `*` and `?` stay inside
 * one path segment, `**` spans segments, `{a,b}` is either, `[abc]` is one of. Matched by picomatch, which
 * handles braces and classes; every other character is literal (no extglobs, no negation, no regex syntax).
 */
import picomatch from 'picomatch';

/** Characters picomatch would read as extglob, negation or regex syntax, which VS Code globs treat literally. */
const LITERAL_IN_VSCODE_GLOBS = /[()+@!|$^]/g;

/** Turns one glob into a RegExp over a whole `/`-separated relative path (no leading `./` or `/`). */
export function globToRegExp(glob: string): RegExp {
  const g = glob.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
  return picomatch.makeRe(g.replace(LITERAL_IN_VSCODE_GLOBS, '\\$&'), { dot: true, noextglob: true, nonegate: true });
}

export interface ExcludeMatcher {
  /** True when the file or folder at this relative path is excluded (its own pattern, not its parents'). */
  matches(rel: string, isDir: boolean): boolean;
  /** True when the path or any folder above it is excluded. */
  excludesPath(rel: string): boolean;
}

export function makeExcludeMatcher(globs: readonly string[] | undefined): ExcludeMatcher {
  const full: RegExp[] = [];
  const base: RegExp[] = [];
  for (const g of globs ?? []) {
    const trimmed = g.trim();
    if (trimmed === '') continue;
    full.push(globToRegExp(trimmed));
    if (!trimmed.replace(/\/+$/, '').includes('/')) base.push(globToRegExp(trimmed));
  }
  const matches = (rel: string, isDir: boolean): boolean => {
    if (full.length === 0) return false;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    return full.some((r) => r.test(rel) || (isDir && r.test(rel + '/'))) || base.some((r) => r.test(name));
  };
  return {
    matches,
    excludesPath(rel: string): boolean {
      if (full.length === 0) return false;
      const segs = rel.split('/');
      for (let i = 1; i < segs.length; i++) if (matches(segs.slice(0, i).join('/'), true)) return true;
      return matches(rel, false);
    },
  };
}
