/**
 * Converts a registry model (or a user's model.json) to ONNX: the graph up to its feature nodes, with one
 * mean-pooled output per node (see server/engine/embed/onnxConvert.ts).
 *
 *   node out/bench/onnx/convert.js [--model centernet-mnv3 | path/to/model.json] [--out bench/onnx/centernet.onnx] [--no-fuse]
 */
import * as fs from 'fs';
import { resolveModel } from '../../server/engine/embed/models/registry';
import { convertResolvedModel } from '../../server/engine/embed/onnxConvert';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const model = await resolveModel(get('model') ?? 'centernet-mnv3');
  const out = get('out') ?? 'bench/onnx/centernet.onnx';
  const t = performance.now();
  const bytes = convertResolvedModel(model, { fuse: !argv.includes('--no-fuse') });
  fs.writeFileSync(out, bytes);
  process.stdout.write(`${model.spec.id} → ${out}: ${(bytes.length / 1e6).toFixed(2)} MB in ${(performance.now() - t).toFixed(0)} ms\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
