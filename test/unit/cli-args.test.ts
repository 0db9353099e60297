import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, type AnalyzeCommand } from '../../server/cli/args';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { formatDuration, formatProgressLine } from '../../server/cli/progress';

function analyze(argv: string[]): AnalyzeCommand {
  const c = parseArgs(argv);
  assert.equal(c.command, 'analyze');
  return c as AnalyzeCommand;
}

test('analyze with no options uses the defaults and JSON output', () => {
  const c = analyze(['analyze', 'data']);
  assert.equal(c.root, 'data');
  assert.deepEqual(c.formats, ['json']);
  assert.equal(c.out, null);
  assert.equal(c.maxLabelIssues, null);
  assert.deepEqual(c.settings, DEFAULT_SETTINGS);
});

test('options map onto settings, both --x v and --x=v forms', () => {
  const c = analyze(['analyze', 'd', '--folds', '3', '--k=7', '--backend', 'cpu', '--format', 'csv,html', '--format=json',
    '--max-label-issues', '0', '--exclude', 'a/**', '--exclude', 'b/*', '--model-path', 'm/model.json', '--layers', 'x, y', '--quiet']);
  assert.equal(c.settings.folds, 3);
  assert.equal(c.settings.k, 7);
  assert.equal(c.settings.backend, 'cpu');
  assert.deepEqual(c.formats, ['csv', 'html', 'json']);
  assert.equal(c.maxLabelIssues, 0);
  assert.deepEqual(c.settings.exclude, ['a/**', 'b/*']);
  assert.equal(c.settings.modelPath, 'm/model.json');
  assert.deepEqual(c.settings.modelLayers, ['x', 'y']);
  assert.equal(c.quiet, true);
});

test('an ONNX --model-path takes --layers and --model-preprocess', () => {
  const c = analyze(['analyze', 'd', '--model-path', 'net.onnx', '--layers', 'resnetv17_pool1_fwd,stage3', '--model-preprocess', 'zero-one']);
  assert.equal(c.settings.modelPath, 'net.onnx');
  assert.deepEqual(c.settings.modelLayers, ['resnetv17_pool1_fwd', 'stage3']);
  assert.equal(c.settings.modelPreprocess, 'zero-one');
  assert.equal(analyze(['analyze', 'd', '--model-path', 'net.onnx']).settings.modelPreprocess, 'auto');
});

test('bad input is a UsageError naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['analyze'], /exactly one dataset folder/],
    [['analyze', 'a', 'b'], /exactly one dataset folder/],
    [['analyze', 'a', '--nope'], /unknown option --nope/],
    [['analyze', 'a', '--folds'], /--folds needs a value/],
    [['analyze', 'a', '--folds', 'x'], /whole number/],
    [['analyze', 'a', '--folds', '1'], /--folds is out of range/],
    [['analyze', 'a', '--backend', 'tpu'], /--backend must be one of/],
    [['analyze', 'a', '--format', 'xml'], /--format must be one of/],
    [['analyze', 'a', '--layers', 'x'], /--layers goes with --model-path/],
    [['analyze', 'a', '--model-path', 'm.onnx', '--model-preprocess', 'caffe'], /--model-preprocess must be one of auto, imagenet/],
    [['analyze', 'a', '--model-path', 'm/model.json', '--model-preprocess', 'imagenet'], /goes with an ONNX --model-path/],
    [['analyze', 'a', '--model-preprocess', 'imagenet'], /goes with an ONNX --model-path/],
    [['analyze', 'a', '--quiet=1'], /takes no value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
});

test('help, version and models commands', () => {
  assert.equal(parseArgs([]).command, 'help');
  assert.equal(parseArgs(['--help']).command, 'help');
  assert.equal(parseArgs(['version']).command, 'version');
  assert.equal(parseArgs(['models']).command, 'models');
});

test('progress lines carry counts, rate, ETA and backend', () => {
  const line = formatProgressLine({ phase: 'embed', done: 50, total: 200, imagesPerSecond: 25, etaSeconds: 6, backend: 'wasm ×2' }, true);
  assert.match(line, /^embed/);
  assert.match(line, /\[#{7}-{21}\]/);
  assert.match(line, /50\/200 25%/);
  assert.match(line, /25\.0 img\/s/);
  assert.match(line, /ETA 0:06/);
  assert.match(line, /\(wasm ×2\)/);
  assert.doesNotMatch(formatProgressLine({ phase: 'scan', done: 1, total: 2 }, false), /\[/);
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(Number.NaN), '--:--');
});

test('--min-confidence sets the verdict bar and refuses what is not a probability', () => {
  const c = parseArgs(['analyze', 'd', '--min-confidence', '0.8']);
  assert.equal(c.command === 'analyze' && c.settings.minConfidence, 0.8);
  const d = parseArgs(['analyze', 'd']);
  assert.equal(d.command === 'analyze' && d.settings.minConfidence, 0.5);
  assert.throws(() => parseArgs(['analyze', 'd', '--min-confidence', '2']), /between 0.01 and 1/);
  assert.throws(() => parseArgs(['analyze', 'd', '--min-confidence', 'high']), /between 0.01 and 1/);
});
