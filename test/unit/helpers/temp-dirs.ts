/** Temporary folders for one test file, removed after its tests (call at the file's top level). */
import { after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `make(tag)` creates `<tmp>/labellint-<prefix>-<tag>-XXXXXX`; every folder made is removed after the file's tests. */
export function tempDirs(prefix: string): (tag: string) => string {
  const made: string[] = [];
  after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });
  return (tag) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `labellint-${prefix}-${tag}-`));
    made.push(d);
    return d;
  };
}
