/**
 * Command-line parsing for `labellint`. Pure: argv in, a typed command out (or a usage error).
 */
import { resolve } from 'node:path';
import { sanitizeSettings, BACKENDS, LABEL_FILTERS, type Settings } from '../../protocol/settings';

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
}

export interface SimpleCommand {
  readonly command: 'help' | 'version' | 'models';
}

export type Command = AnalyzeCommand | SimpleCommand;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: labellint <command> [options]

Commands:
  analyze <folder>          Scan, embed and lint an image dataset
  models                    List the bundled backbones
  help, version

Options for analyze:
  --format <json|csv|html>  Output format; repeat or comma-separate for several (default json)
  --out <path>              Output file (one format) or folder (several); default <folder>/.labellint/
  --max-label-issues <n>    Exit with code 1 when more than n label issues are found
  --model <id>              Registered backbone (see 'labellint models')
  --model-path <model.json> Your own TF.js model; with --layers <node,node>
  --layers <a,b>            Node names to pool features from (with --model-path)
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
  --quiet                   No progress output
`;

const NUMERIC = new Set(['workers', 'batch-size', 'folds', 'k', 'seed', 'max-images', 'max-label-issues']);
const FLAGS = new Set(['quiet', 'embed-only']);
const VALUED = new Set([
  'format', 'out', 'model', 'model-path', 'layers', 'backend', 'filter', 'csv', 'exclude', 'pred-probs', ...NUMERIC,
]);

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') return { command: 'help' };
  if (cmd === 'version' || cmd === '--version' || cmd === '-v') return { command: 'version' };
  if (cmd === 'models') return { command: 'models' };
  if (cmd !== 'analyze') throw new UsageError(`unknown command '${cmd}'`);

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
    if (FLAGS.has(name)) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!VALUED.has(name)) throw new UsageError(`unknown option --${name}`);
    if (value === undefined) {
      value = rest[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (NUMERIC.has(name) && !/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, got '${value}'`);
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
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
  raw.backend = backend;
  raw.labelFilter = filter;
  raw.model = one('model');
  raw.modelPath = one('model-path');
  raw.modelLayers = one('layers')?.split(',').map((s) => s.trim()).filter(Boolean);
  raw.labelsCsv = one('csv');
  raw.predProbsCsv = one('pred-probs') === undefined ? undefined : resolve(one('pred-probs')!);
  raw.exclude = values.get('exclude');
  if (raw.modelLayers && !raw.modelPath) throw new UsageError('--layers goes with --model-path');
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
  };
}
