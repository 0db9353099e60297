import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** Source root of the repository (this file runs from out/test/unit/). */
const REPO = path.resolve(__dirname, '..', '..', '..');
const LAYERS = ['protocol', 'server', 'extension', 'webview'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of every layer's files (static, type-only and dynamic), resolved to files. */
function importGraph(): Map<string, string[]> {
  const files = LAYERS.flatMap((l) => sources(path.join(REPO, l)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(fs.readFileSync(f, 'utf8'), true, true);
    const deps: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = path.resolve(path.dirname(f), fileName).replace(/\.js$/, '');
      const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => known.has(c));
      if (hit) deps.push(hit);
    }
    graph.set(f, deps);
  }
  return graph;
}

test('no import cycles in protocol/, server/, extension/, webview/ (ARCHITECTURE.md)', () => {
  const graph = importGraph();
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => path.relative(REPO, p)).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

// ---- Size (issue 14): no source file over ~400 lines, no function over ~80 ----------------------------------------

/** Lines a source file may have (as `wc -l` counts them). */
const MAX_FILE_LINES = 400;
/** Lines one function, method, accessor or arrow function may span, braces included. */
const MAX_FUNCTION_LINES = 80;

/**
 * Files still over MAX_FILE_LINES, each with the reason and who splits it. An entry for a file that is back under
 * the limit fails too, so the list only shrinks. Empty since lsp/server.ts and embed/onnxConvert.ts were split.
 */
const LONG_FILES: ReadonlyMap<string, string> = new Map<string, string>([]);

/** Functions still over MAX_FUNCTION_LINES, as `path:name`, each with the reason. Stale entries fail too. */
const LONG_FUNCTIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

function lineCount(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function layerSources(): string[] {
  return LAYERS.flatMap((l) => sources(path.join(REPO, l)))
    .map((f) => path.relative(REPO, f).split(path.sep).join('/'))
    .sort();
}

/** A function's name as a reader finds it: its own, the variable or property it is assigned to, or `<anonymous>`. */
function functionName(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText();
  }
  return '<anonymous>';
}

function longFunctions(rel: string): { key: string; lines: number }[] {
  const text = fs.readFileSync(path.join(REPO, rel), 'utf8');
  const src = ts.createSourceFile(rel, text, ts.ScriptTarget.Latest, true);
  const out: { key: string; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const first = src.getLineAndCharacterOfPosition(fn.getStart(src)).line;
      const last = src.getLineAndCharacterOfPosition(fn.getEnd()).line;
      if (last - first + 1 > MAX_FUNCTION_LINES) out.push({ key: `${rel}:${functionName(fn)}`, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

test(`no source file in protocol/, server/, extension/, webview/ over ${MAX_FILE_LINES} lines (issue 14)`, () => {
  const files = layerSources();
  const over = files
    .map((f) => ({ f, n: lineCount(fs.readFileSync(path.join(REPO, f), 'utf8')) }))
    .filter(({ f, n }) => n > MAX_FILE_LINES && !LONG_FILES.has(f))
    .map(({ f, n }) => `${f}: ${n} lines; split it by responsibility (or, with a reason, add it to LONG_FILES)`);
  assert.deepEqual(over, []);
  const stale = [...LONG_FILES.keys()].filter(
    (f) => !files.includes(f) || lineCount(fs.readFileSync(path.join(REPO, f), 'utf8')) <= MAX_FILE_LINES,
  );
  assert.deepEqual(stale, [], 'LONG_FILES lists files that are gone or back under the limit: remove them');
});

test(`no function in protocol/, server/, extension/, webview/ over ${MAX_FUNCTION_LINES} lines (issue 14)`, () => {
  const found = layerSources().flatMap(longFunctions);
  const over = found.filter(({ key }) => !LONG_FUNCTIONS.has(key)).map(({ key, lines }) => `${key}: ${lines} lines`);
  assert.deepEqual(over, []);
  const stale = [...LONG_FUNCTIONS.keys()].filter((k) => !found.some((x) => x.key === k));
  assert.deepEqual(stale, [], 'LONG_FUNCTIONS lists functions that are gone or back under the limit: remove them');
});
