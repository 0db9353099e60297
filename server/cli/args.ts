/**
 * Command-line parsing for `labellint`. Pure: argv in, a typed command out (or a usage error).
 */
import { resolve } from 'node:path';
import { sanitizeSettings, BACKENDS, LABEL_FILTERS, MODEL_PREPROCESS, type Settings } from '../../protocol/settings';

export const FORMATS = ['json', 'csv', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface AnalyzeCommand {
  readonly command: 'analyze';
  readonly root: string;
  readonly settings: Settings;
  /** Output formats to write; the summary always goes to stdout. */
  readonly formats: readonly Format[];
  /** Output path (with one format) or folder (several); null = `<root>/.labellint/`. */
  readonly out: string | null;
  /** Exit code 1 when more label issues than this are found; null = never. */
  readonly maxLabelIssues: number | null;
  readonly quiet: boolean;
  /** Only scan and embed (fills the cache), skip the label analysis. */
  readonly embedOnly: boolean;
  /** Replace an existing `--out` file even when it is not a LabelLint report. */
  readonly force: boolean;
}

export interface SimpleCommand {
  readonly command: 'help' | 'version';
}

/** `models [--registry f]`: list the registered backbones. */
export interface ModelsCommand {
  readonly command: 'models';
  /** User registry file (absolute), or null. */
  readonly registry: string | null;
}

/** `models download <id> [--dir D] [--registry f]`: fetch and verify a downloadable backbone. */
export interface ModelsDownloadCommand {
  readonly command: 'models-download';
  readonly id: string;
  /** Absolute model directory, or null = $LABELLINT_MODEL_DIR or ~/.cache/labellint/models. */
  readonly dir: string | null;
  readonly registry: string | null;
}

export type Command = AnalyzeCommand | SimpleCommand | ModelsCommand | ModelsDownloadCommand;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: labellint <command> [options]

Commands:
  analyze <folder>          Scan, embed and lint an image dataset
  models [--registry f]     List the registered backbones (built-ins and those in a registry file)
  models download <id> [--dir D] [--registry f]
                            Download a backbone listed with URLs and sha256 hashes, verify every file and
                            cache it in D (default $LABELLINT_MODEL_DIR or ~/.cache/labellint/models)
  help, version

Options for analyze:
  --format <json|csv|html>  Output format; repeat or comma-separate for several (default json)
  --out <path>              Output file (one format) or folder (several); default <folder>/.labellint/
  --max-label-issues <n>    Exit with code 1 when more than n (confident) label issues are found
  --min-confidence <p>      Probability that a label is wrong (0.01–1, default 0.5) from which an image is a
                            label issue; images from 0.2 up to it are counted as "possible" (review queue)
  --model <id>              Registered backbone (see 'labellint models')
  --model-path <file>       Your own network: a TF.js model.json, or an .onnx file exported from PyTorch,
                            timm, torchvision or Keras (needs onnxruntime-node); with --layers <node,node>
  --layers <a,b>            Node (ONNX: node or tensor) names to pool features from (with --model-path);
                            default: the model's outputs
  --model-preprocess <${MODEL_PREPROCESS.join('|')}>
                            Pixel normalisation for an ONNX --model-path (default auto: imagenet for NCHW
                            inputs, raw255 for NHWC)
  --backend <${BACKENDS.join('|')}>
  --workers <n>             Embedding worker threads (0 = one per core)
  --batch-size <n>          Images per inference batch
  --folds <n>               Cross-validation folds (default 5)
  --k <n>                   Neighbours for kNN agreement (default 10)
  --filter <${LABEL_FILTERS.join('|')}>
  --seed <n>                Random seed (default 42)
  --csv <file>              Labels CSV, relative to the folder (default: auto-detect)
  --pred-probs <file>       Your own model's predicted probabilities (CSV: path,<one column per class>),
                            used instead of LabelLint's cross-validated classifier
  --exclude <glob>          Leave out matching paths (repeatable)
  --max-images <n>          Analyse at most n images
  --embed-only              Only fill the embedding cache
  --force                   Let --out replace an existing file that is not a LabelLint report
  --quiet                   No progress output
`;

const NUMERIC = new Set(['workers', 'batch-size', 'folds', 'k', 'seed', 'max-images', 'max-label-issues']);
const FLAGS = new Set(['quiet', 'embed-only', 'force']);
const VALUED = new Set([
  'format', 'out', 'model', 'model-path', 'layers', 'model-preprocess', 'backend', 'filter', 'csv', 'exclude', 'pred-probs', 'min-confidence', ...NUMERIC,
]);

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') return { command: 'help' };
  if (cmd === 'version' || cmd === '--version' || cmd === '-v') return { command: 'version' };
  if (cmd === 'models') return parseModels(rest);
  if (cmd !== 'analyze') throw new UsageError(`unknown command '${cmd}'`);

  const { positional, values, flags } = splitArgs(rest, FLAGS, VALUED, '');
  for (const [name, list] of values) {
    for (const value of list) {
      if (NUMERIC.has(name) && !/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, got '${value}'`);
    }
  }
  if (positional.length !== 1) throw new UsageError('analyze needs exactly one dataset folder');

  const one = (n: string): string | undefined => values.get(n)?.at(-1);
  const raw: Record<string, unknown> = {};
  for (const n of ['workers', 'batch-size', 'folds', 'k', 'seed', 'max-images']) {
    const v = one(n);
    if (v !== undefined) raw[camel(n)] = Number(v);
  }
  const backend = one('backend');
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
  }
  const filter = one('filter');
  if (filter !== undefined && !(LABEL_FILTERS as readonly string[]).includes(filter)) {
    throw new UsageError(`--filter must be one of ${LABEL_FILTERS.join(', ')}`);
  }
  const minConfidence = one('min-confidence');
  if (minConfidence !== undefined) {
    const p = Number(minConfidence);
    if (!/^\d*\.?\d+$/.test(minConfidence) || !(p >= 0.01 && p <= 1)) throw new UsageError(`--min-confidence needs a probability between 0.01 and 1, got '${minConfidence}'`);
    raw.minConfidence = p;
  }
  raw.backend = backend;
  raw.labelFilter = filter;
  raw.model = one('model');
  raw.modelPath = one('model-path');
  raw.modelLayers = one('layers')?.split(',').map((s) => s.trim()).filter(Boolean);
  raw.labelsCsv = one('csv');
  raw.predProbsCsv = one('pred-probs') === undefined ? undefined : resolve(one('pred-probs')!);
  raw.exclude = values.get('exclude');
  if (raw.modelLayers && !raw.modelPath) throw new UsageError('--layers goes with --model-path');
  const preprocess = one('model-preprocess');
  if (preprocess !== undefined) {
    if (!(MODEL_PREPROCESS as readonly string[]).includes(preprocess)) {
      throw new UsageError(`--model-preprocess must be one of ${MODEL_PREPROCESS.join(', ')}`);
    }
    if (!raw.modelPath || !String(raw.modelPath).toLowerCase().endsWith('.onnx')) {
      throw new UsageError('--model-preprocess goes with an ONNX --model-path (a .onnx file)');
    }
    raw.modelPreprocess = preprocess;
  }
  const settings = sanitizeSettings(raw);
  for (const n of ['folds', 'k'] as const) {
    if (raw[n] !== undefined && settings[n] !== raw[n]) throw new UsageError(`--${n} is out of range`);
  }

  const formats: Format[] = [];
  for (const f of (values.get('format') ?? ['json']).flatMap((s) => s.split(','))) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (!formats.includes(f as Format)) formats.push(f as Format);
  }
  const mli = one('max-label-issues');
  return {
    command: 'analyze',
    root: positional[0],
    settings,
    formats,
    out: one('out') ?? null,
    maxLabelIssues: mli === undefined ? null : Number(mli),
    quiet: flags.has('quiet'),
    embedOnly: flags.has('embed-only'),
    force: flags.has('force'),
  };
}

const MODELS_VALUED = new Set(['registry', 'dir']);

/**
 * Splits argv into positionals, `--name value` / `--name=value` options (repeatable, in order) and
 * `--flag`s. `where` ends the unknown-option message (e.g. " for models").
 */
function splitArgs(
  rest: readonly string[],
  flagNames: ReadonlySet<string>,
  valued: ReadonlySet<string>,
  where: string,
): { positional: string[]; values: Map<string, string[]>; flags: Set<string> } {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (flagNames.has(name)) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!valued.has(name)) throw new UsageError(`unknown option --${name}${where}`);
    if (value === undefined) {
      value = rest[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  }
  return { positional, values, flags };
}

/** `models [--registry f]` and `models download <id> [--dir D] [--registry f]`. */
function parseModels(rest: readonly string[]): ModelsCommand | ModelsDownloadCommand {
  const split = splitArgs(rest, new Set(), MODELS_VALUED, ' for models');
  const positional = split.positional;
  const values = new Map<string, string>();
  for (const [name, list] of split.values) {
    const value = list.at(-1)!;
    if (value === '') throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  const registry = values.has('registry') ? resolve(values.get('registry')!) : null;
  if (positional.length === 0) {
    if (values.has('dir')) throw new UsageError('--dir goes with models download');
    return { command: 'models', registry };
  }
  if (positional[0] !== 'download') throw new UsageError(`unknown models subcommand '${positional[0]}' (valid: download)`);
  if (positional.length !== 2) throw new UsageError('models download needs exactly one model id');
  const dir = values.has('dir') ? resolve(values.get('dir')!) : null;
  return { command: 'models-download', id: positional[1], dir, registry };
}
