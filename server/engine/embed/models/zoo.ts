/**
 * Opt-in ONNX backbones from the ONNX Model Zoo (github.com/onnx/models), fetched only by
 * `labellint models download <id>` and verified against these sha256 values. None is downloaded by default,
 * and none was ever downloaded on the machine where these entries were written (it has no internet access):
 * the values come from the repository's own records at one commit, read 2026-12-04:
 *
 * - sha256 and size: the Git LFS pointer file committed at the model's path (`oid sha256:…`, `size …`), and,
 *   independently, `ONNX_HUB_MANIFEST.json` at the same commit (`model_sha`, `model_bytes`, computed by the zoo's
 *   `validated/workflow_scripts/generate_onnx_hub_manifest.py` from the real file). They agree for every entry.
 * - input name and shape: the manifest's `io_ports` (read from the file by ONNX Runtime).
 * - feature node: the manifest's `extra_ports.features` (the zoo's script checks the name with ONNX shape
 *   inference on the real file), except where `notes` says "unverified".
 * - preprocessing and licence: the model's README in the repository at that commit.
 * - URL: GitHub serves the LFS object of a path at a commit at
 *   https://media.githubusercontent.com/media/onnx/models/<commit>/<path> (the models' READMEs document the
 *   equivalent `https://github.com/onnx/models/raw/<ref>/<path>`, which redirects there).
 *
 * Feature vectors: the named node (N×C×1×1 after global pooling, or N×C) is pooled/flattened to C values and
 * L2-normalised, as for every backbone. See ./onnxModel.ts for layouts and preprocessing.
 */
import type { ModelSpec } from './spec';
import { PREPROCESS } from './onnxModel';

/** The onnx/models commit every entry is pinned to. */
export const ONNX_ZOO_COMMIT = '4c46cd00fbdb7cd30b6c1c17ab54f2e1f4f7b177';

const ZOO_DIR = 'validated/vision/classification';

/** URL of the LFS object at `path` (relative to the repository root) at `ONNX_ZOO_COMMIT`. */
export function zooUrl(path: string): string {
  return `https://media.githubusercontent.com/media/onnx/models/${ONNX_ZOO_COMMIT}/${path}`;
}

interface ZooEntry {
  readonly id: string;
  readonly name: string;
  /** Path under validated/vision/classification/. */
  readonly path: string;
  readonly sha256: string;
  /** Bytes, from the LFS pointer (informational: the sha256 is what is checked). */
  readonly bytes: number;
  readonly licence: string;
  readonly featureNode: string;
  readonly dim: number;
  readonly preprocess: ModelSpec['preprocess'];
  readonly notes: string;
}

const README = (dir: string): string => `https://github.com/onnx/models/blob/${ONNX_ZOO_COMMIT}/${ZOO_DIR}/${dir}/README.md`;

const ENTRIES: readonly ZooEntry[] = [
  {
    id: 'onnx-resnet50-v1',
    name: 'ResNet-50 v1 (ONNX Model Zoo, ImageNet, MXNet export, opset 7) — global average pool',
    path: 'resnet/model/resnet50-v1-7.onnx',
    sha256: 'af16a04a6ec48ac494065d4439fe9dea590d337b9ca6dc328160ccf04a217b9c',
    bytes: 102_583_340,
    licence: `Apache-2.0 (the model's README: ${README('resnet')})`,
    featureNode: 'resnetv17_pool1_fwd',
    dim: 2048,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'data' [N,3,224,224]; ImageNet mean/std on [0,1] pixels (README). Feature node verified by the zoo's " +
      'manifest (extra_ports: [0,2048,1,1]). Top-1 74.93 % (README).',
  },
  {
    id: 'onnx-resnet50-v2',
    name: 'ResNet-50 v2 (ONNX Model Zoo, ImageNet, MXNet export, opset 7) — global average pool',
    path: 'resnet/model/resnet50-v2-7.onnx',
    sha256: '79102261eb6e5fd7af5d27f41316293e388c5cb691e5d25bfb035c4f64fefe31',
    bytes: 102_442_452,
    licence: `Apache-2.0 (the model's README: ${README('resnet')})`,
    featureNode: 'resnetv24_pool1_fwd',
    dim: 2048,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'data' [N,3,224,224]; ImageNet mean/std (README). Feature node verified by the zoo's manifest " +
      '(extra_ports: [0,2048,1,1]). Top-1 75.81 % (README).',
  },
  {
    id: 'onnx-resnet18-v1',
    name: 'ResNet-18 v1 (ONNX Model Zoo, ImageNet, MXNet export, opset 7) — global average pool',
    path: 'resnet/model/resnet18-v1-7.onnx',
    sha256: '4e8f8653e7a2222b3904cc3fe8e304cd8b339ce1d05fd24688162f86fb6df52c',
    bytes: 46_820_737,
    licence: `Apache-2.0 (the model's README: ${README('resnet')})`,
    featureNode: 'resnetv15_pool1_fwd',
    dim: 512,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'data' [N,3,224,224]; ImageNet mean/std (README). Feature node verified by the zoo's manifest " +
      '(extra_ports: [0,512,1,1]). Top-1 69.93 % (README).',
  },
  {
    id: 'onnx-resnet50-v1-12',
    name: 'ResNet-50 v1 fp32 (ONNX Model Zoo, opset 12) — global average pool',
    path: 'resnet/model/resnet50-v1-12.onnx',
    sha256: '3f03fdef724b22947eed826f1eef1dc5c34151bb4c37d634f1db89dfa2dd1526',
    bytes: 102_576_593,
    licence: `Apache-2.0 (the model's README: ${README('resnet')})`,
    featureNode: 'resnetv17_pool1_fwd',
    dim: 2048,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'data' [N,3,224,224] and output 'resnetv17_dense0_fwd' per the zoo's manifest; ImageNet mean/std " +
      "(README). Feature node UNVERIFIED: the zoo's manifest script maps 'ResNet50_fp32' to resnetv17_pool1_fwd, " +
      'but the manifest holds no feature entry for this file; if the name is absent, loading fails listing the ' +
      'pooling nodes. Top-1 74.97 % (README).',
  },
  {
    id: 'onnx-resnet50-v1-12-int8',
    name: 'ResNet-50 v1 int8 (ONNX Model Zoo, opset 12, Intel Neural Compressor) — class scores',
    path: 'resnet/model/resnet50-v1-12-int8.onnx',
    sha256: 'c234f30975989788b4405f25253275aae247ab6dbdd34aaa69ab0a59ff76f6d0',
    bytes: 25_816_052,
    licence: `Apache-2.0 (the model's README: ${README('resnet')})`,
    featureNode: 'resnetv17_dense0_fwd',
    dim: 1000,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'data' [N,3,224,224] and float output 'resnetv17_dense0_fwd' (1000 class scores) per the zoo's " +
      "manifest; ImageNet mean/std (README). The pooled features of this file are quantised (uint8, the zoo's " +
      "script names 'flatten_473_quantized', unverified), so the class scores are used. Top-1 74.77 % (README).",
  },
  {
    id: 'onnx-mobilenetv2',
    name: 'MobileNetV2 1.0 (ONNX Model Zoo, ImageNet, PyTorch export, opset 10) — global average pool',
    path: 'mobilenet/model/mobilenetv2-10.onnx',
    sha256: '0e7c0aa4bc74650386fa1d2c84705753de7c2bdb21909ada5c59154bb429e092',
    bytes: 13_963_115,
    licence: `Apache-2.0 (the model's README: ${README('mobilenet')})`,
    featureNode: '464',
    dim: 1280,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'input' [batch_size,3,224,224]; ImageNet mean/std on [0,1] pixels (README). Feature tensor '464' " +
      "verified by the zoo's manifest (extra_ports: [0,1280,1,1]). Top-1 70.94 % (README).",
  },
  {
    id: 'onnx-efficientnet-lite4',
    name: 'EfficientNet-Lite4 (ONNX Model Zoo, ImageNet, TF → tf2onnx, opset 11) — head average pool',
    path: 'efficientnet-lite4/model/efficientnet-lite4-11.onnx',
    sha256: 'd111689907c06eea7c82e4833ddef758da6453b9d4cf60b7e99ca05c7cbd9c12',
    bytes: 51_946_641,
    licence: `MIT (the model's README: ${README('efficientnet-lite4')})`,
    featureNode: 'efficientnet-lite4/model/head/AvgPool:0',
    dim: 1280,
    preprocess: { mean: [127, 127, 127], std: [128, 128, 128] },
    notes:
      "Input 'images:0' [1,224,224,3] (NHWC, batch fixed at 1: run one image per call); pixels (x − 127) / 128 " +
      "(README). Feature node verified by the zoo's manifest (extra_ports: [1,1280,1,1]). Top-1 80.4 % (README).",
  },
  {
    id: 'onnx-densenet121',
    name: 'DenseNet-121 (ONNX Model Zoo, ImageNet, Caffe2 export, opset 9) — global pool',
    path: 'densenet-121/model/densenet-9.onnx',
    sha256: '875fb597a9f0f79cca8a9db610a355920b13959fbe7dc35b759dd35f4d25e291',
    bytes: 32_719_461,
    licence: `MIT (the model's README: ${README('densenet-121')})`,
    featureNode: 'pool5_1',
    dim: 1024,
    preprocess: PREPROCESS.imagenet,
    notes:
      "Input 'data_0' [1,3,224,224] (batch fixed at 1). Feature node verified by the zoo's manifest " +
      "(extra_ports: [1,1024,1,1]). Preprocessing UNVERIFIED: the README's pre-processing section is empty; " +
      'ImageNet mean/std is assumed.',
  },
];

/** The zoo entries as registry specs (format 'onnx', source 'url'). */
export const ONNX_ZOO_MODELS: readonly ModelSpec[] = ENTRIES.map((e) => ({
  id: e.id,
  name: e.name,
  licence: e.licence,
  source: { kind: 'url', files: [{ url: zooUrl(`${ZOO_DIR}/${e.path}`), sha256: e.sha256 }] },
  format: 'onnx',
  inputSize: 224,
  pixelRange: '0-255',
  preprocess: e.preprocess,
  featureNodes: [e.featureNode],
  dim: e.dim,
  notes: `${e.notes} ${(e.bytes / 1e6).toFixed(1)} MB download; never downloaded or run by LabelLint's authors.`,
}));

/** Byte sizes from the LFS pointers, by id (tests and docs). */
export const ONNX_ZOO_BYTES: ReadonlyMap<string, number> = new Map(ENTRIES.map((e) => [e.id, e.bytes]));
