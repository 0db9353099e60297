/**
 * `labellint` command line: the same engine as the language server, headless, for pipelines.
 * Exit codes: 0 ok, 1 more label issues than --max-label-issues, 2 usage or fatal error, 130 interrupted.
 */
import { resolveStateDir } from './engine/store/cache';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs, UsageError, USAGE, type AnalyzeCommand, type Format } from './cli/args';
import { createProgress } from './cli/progress';
import { runAnalysis, collectEmbeddings } from './engine/pipeline/analyze';
import { CancelledError } from './engine/types';
import { formatSummary, toCsv, toJson } from './report/text';
import type { AnalysisResult } from '../protocol/results';

export const EXIT_OK = 0;
export const EXIT_ISSUES = 1;
export const EXIT_ERROR = 2;
/** Conventional exit code after SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130;

/** Writes a file atomically (temp file + rename) so a reader never sees half a report. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

async function render(result: AnalysisResult, format: Format): Promise<string | Buffer> {
  switch (format) {
    case 'json':
      return toJson(result);
    case 'csv':
      return toCsv(result);
    case 'html': {
      const { toHtml } = await import('./report/html');
      return toHtml(result);
    }
  }
}

/** Where each format goes: `--out` is a file for one format, a folder for several. */
export function outputPaths(cmd: AnalyzeCommand, root: string): Map<Format, string> {
  const out = new Map<Format, string>();
  const base = 'labellint-report';
  if (cmd.out !== null && cmd.formats.length === 1 && extname(cmd.out) !== '') {
    out.set(cmd.formats[0], resolve(cmd.out));
    return out;
  }
  // Default: the dataset's state folder (never through a `.labellint` link; per-user when the dataset is read-only).
  const dir = cmd.out !== null ? resolve(cmd.out) : resolveStateDir(root).dir;
  for (const f of cmd.formats) out.set(f, join(dir, `${base}.${f}`));
  return out;
}

async function analyze(cmd: AnalyzeCommand): Promise<number> {
  const root = resolve(cmd.root);
  const bar = createProgress(process.stderr, { quiet: cmd.quiet });
  let cancelled = false;
  const onSigint = (): void => {
    if (cancelled) process.exit(EXIT_INTERRUPTED); // second Ctrl-C: leave now
    cancelled = true;
    bar.log('Stopping after the current batch (the cache keeps what is done); Ctrl-C again to quit now.');
  };
  process.on('SIGINT', onSigint);
  const hooks = { onProgress: bar.update, isCancelled: () => cancelled, log: bar.log };
  try {
    if (cmd.embedOnly) {
      const timings: Record<string, number> = {};
      const r = await collectEmbeddings(root, cmd.settings, hooks, timings);
      r.cache.close();
      if (r.ownEmbedder) await r.embedder.dispose();
      bar.end();
      const ok = r.items.filter((i) => i.vector).length;
      process.stdout.write(`${ok} of ${r.items.length} images embedded and cached (${r.embedder.model.id}).\n`);
      return EXIT_OK;
    }
    const result = await runAnalysis(root, cmd.settings, hooks);
    bar.end();
    process.stdout.write(formatSummary(result) + '\n');
    const state = resolveStateDir(root);
    if (!state.inDataset) process.stdout.write(`Cache: ${state.dir} (${state.reason}).\n`);
    for (const [format, path] of outputPaths(cmd, root)) {
      writeFileAtomic(path, await render(result, format));
      process.stdout.write(`Wrote ${format.toUpperCase()} report: ${path}\n`);
    }
    if (cmd.maxLabelIssues !== null && result.counts.label > cmd.maxLabelIssues) {
      process.stdout.write(`${result.counts.label} label issues exceed --max-label-issues ${cmd.maxLabelIssues}\n`);
      return EXIT_ISSUES;
    }
    return EXIT_OK;
  } catch (e) {
    bar.end();
    if (e instanceof CancelledError) {
      process.stderr.write('Interrupted; embeddings computed so far are cached and will be reused.\n');
      return EXIT_INTERRUPTED;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function main(argv: string[]): Promise<number> {
  let cmd;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`labellint: ${e.message}\n\n${USAGE}`);
      return EXIT_ERROR;
    }
    throw e;
  }
  switch (cmd.command) {
    case 'help':
      process.stdout.write(USAGE);
      return EXIT_OK;
    case 'version':
      process.stdout.write(`${require('../../package.json').version}\n`);
      return EXIT_OK;
    case 'models': {
      const { listModels, loadModelRegistry, DEFAULT_MODEL_ID } = await import('./engine/embed/models/registry');
      const extra = cmd.registry ? loadModelRegistry(cmd.registry) : [];
      for (const m of listModels(extra)) {
        const where = m.source.kind === 'url' ? ' [download]' : '';
        process.stdout.write(`${m.id === DEFAULT_MODEL_ID ? '*' : ' '} ${m.id.padEnd(20)} ${String(m.dim).padStart(5)}-d  ${m.name}${where} (${m.licence})\n`);
      }
      return EXIT_OK;
    }
    case 'models-download':
      return (await import('./cli/models-download')).modelsDownload(cmd);
    case 'analyze':
      return analyze(cmd);
  }
}
