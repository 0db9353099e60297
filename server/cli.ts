/**
 * `labellint` command line: the same engine as the language server, headless, for pipelines.
 * Exit codes: 0 ok, 1 more label issues than --max-label-issues, 2 usage or fatal error, 130 interrupted (SIGINT),
 * 143 terminated (SIGTERM).
 */
import { extname, join, resolve } from 'node:path';
import { parseArgs, UsageError, USAGE, type AnalyzeCommand, type Format } from './cli/args';
import { createProgress } from './cli/progress';
import { runAnalysis, collectEmbeddings } from './engine/pipeline/analyze';
import { CancelledError } from './engine/types';
import { resolveStateDir, StateDirError } from './engine/store/stateDir';
import { formatSummary, toCsvChunks, toJsonChunks } from './report/text';
import { outputRefusal, writeReport } from './report/output';
import type { AnalysisResult } from '../protocol/results';

export const EXIT_OK = 0;
export const EXIT_ISSUES = 1;
export const EXIT_ERROR = 2;
/** Conventional exit code after SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130;
/** Conventional exit code after SIGTERM (128 + 15). */
export const EXIT_TERMINATED = 143;


/** A report's text; JSON and CSV in pieces (a million-image result does not fit one string). */
async function render(result: AnalysisResult, format: Format): Promise<string | Iterable<string>> {
  switch (format) {
    case 'json':
      return toJsonChunks(result);
    case 'csv':
      return toCsvChunks(result);
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
  // Output problems are found now, not after the analysis (a `.labellint` link included: StateDirError).
  let outputs: Map<Format, string>;
  try {
    outputs = cmd.embedOnly ? new Map<Format, string>() : outputPaths(cmd, root);
  } catch (e) {
    if (!(e instanceof StateDirError)) throw e;
    process.stderr.write(`labellint: ${e.message}\n`);
    return EXIT_ERROR;
  }
  const refusals = [...outputs.values()].map((p) => outputRefusal(p, { root, force: cmd.force })).filter((r): r is string => r !== null);
  if (refusals.length > 0) {
    process.stderr.write(refusals.map((r) => `labellint: ${r}\n`).join(''));
    return EXIT_ERROR;
  }
  const bar = createProgress(process.stderr, { quiet: cmd.quiet });
  // First Ctrl-C / SIGTERM: stop after the batches in flight (the cache keeps them), exit 130 / 143.
  // Second: die by the signal itself (the shell sees 130 / 143); process.exit() would tear down worker threads in
  // the middle of a native inference call, which ONNX Runtime answers with an abort.
  let cancelled: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (cancelled) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, sig);
      return;
    }
    cancelled = sig;
    bar.log(`Stopping after the current batch (the cache keeps what is done); ${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit now.`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const hooks = { onProgress: bar.update, isCancelled: () => cancelled !== null, log: bar.log };
  try {
    if (cmd.embedOnly) {
      const timings: Record<string, number> = {};
      const r = await collectEmbeddings(root, cmd.settings, hooks, timings);
      r.cache.close();
      if (r.ownEmbedder) await r.embedder.dispose();
      if (cancelled !== null) throw new CancelledError();
      bar.end();
      const ok = r.items.filter((i) => i.vector).length;
      process.stdout.write(`${ok} of ${r.items.length} images embedded and cached (${r.embedder.model.id}).\n`);
      return EXIT_OK;
    }
    const result = await runAnalysis(root, cmd.settings, hooks);
    // A signal during the last phases (nothing checks it there): still an interruption, no reports written.
    if (cancelled !== null) throw new CancelledError();
    bar.end();
    process.stdout.write(formatSummary(result) + '\n');
    const state = resolveStateDir(root);
    if (!state.inDataset) process.stdout.write(`Cache: ${state.dir} (${state.reason}).\n`);
    for (const [format, path] of outputs) {
      writeReport(path, await render(result, format), root);
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
      return cancelled === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
        const where = m.source.kind === 'url' ? ' [opt-in download]' : '';
        process.stdout.write(`${m.id === DEFAULT_MODEL_ID ? '*' : ' '} ${m.id.padEnd(24)} ${String(m.dim).padStart(5)}-d  ${m.name}${where} (${m.licence})\n`);
      }
      return EXIT_OK;
    }
    case 'models-download':
      return (await import('./cli/models-download')).modelsDownload(cmd);
    case 'analyze':
      return analyze(cmd);
  }
}
