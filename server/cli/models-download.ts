/**
 * `labellint models download <id>`: the only place the CLI touches the network, and only when asked.
 */
import type { ModelsDownloadCommand } from './args';
import { defaultModelDir, getModelSpec, listModels, loadModelRegistry, ModelError } from '../engine/embed/models/registry';
import { downloadModel, DownloadError } from '../engine/embed/models/download';

export async function modelsDownload(cmd: ModelsDownloadCommand): Promise<number> {
  try {
    const extra = cmd.registry ? loadModelRegistry(cmd.registry) : process.env.LABELLINT_MODEL_REGISTRY ? loadModelRegistry(process.env.LABELLINT_MODEL_REGISTRY) : [];
    const spec = getModelSpec(cmd.id, extra);
    if (!spec) {
      process.stderr.write(`labellint: unknown model '${cmd.id}'. Known: ${listModels(extra).map((m) => m.id).join(', ')}.\n`);
      return 2;
    }
    if (spec.source.kind !== 'url') {
      process.stdout.write(`${spec.id} needs no download (its files come with ${spec.source.kind === 'npm' ? `npm package ${spec.source.package}` : 'a local path'}).\n`);
      return 0;
    }
    const dir = cmd.dir ?? defaultModelDir();
    process.stderr.write(`Downloading ${spec.id} (${spec.licence}) into ${dir}\n`);
    let last = 0;
    const r = await downloadModel(spec, dir, {
      onProgress: (p) => {
        const now = Date.now();
        if (now - last < 500 && p.received !== p.total) return;
        last = now;
        const of = p.total ? ` of ${(p.total / 1e6).toFixed(1)} MB` : '';
        process.stderr.write(`  [${p.fileIndex + 1}/${p.fileCount}] ${p.file}: ${(p.received / 1e6).toFixed(1)} MB${of}\n`);
      },
    });
    for (const f of r.files) process.stdout.write(`${f.reused ? 'kept    ' : 'verified'} ${f.sha256.slice(0, 16)}…  ${f.path}\n`);
    process.stdout.write(`${spec.id} is ready in ${r.dir}.${cmd.dir ? ` Set LABELLINT_MODEL_DIR=${dir} to use it.` : ''}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DownloadError || e instanceof ModelError) {
      process.stderr.write(`labellint: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
