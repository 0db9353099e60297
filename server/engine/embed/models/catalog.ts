/**
 * Every registered backbone, in the order the CLI lists them: the built-ins (./spec.ts), the opt-in downloads
 * (./zoo.ts), then user entries from a registry file (./userRegistry.ts). Plain data, like ./spec.ts.
 */
import { BUILTIN_MODELS, type ModelSpec } from './spec';
import { ONNX_ZOO_MODELS } from './zoo';

/**
 * Opt-in backbones fetched only by `labellint models download <id>`, checked against their sha256: the ONNX
 * Model Zoo entries of ./zoo.ts (none ships with LabelLint; none was downloaded where they were written).
 */
export const DOWNLOADABLE_MODELS: readonly ModelSpec[] = ONNX_ZOO_MODELS;

/** Built-ins, then the downloadable entries, then `extra` (user entries from a registry file). */
export function listModels(extra: readonly ModelSpec[] = []): readonly ModelSpec[] {
  return [...BUILTIN_MODELS, ...DOWNLOADABLE_MODELS, ...extra];
}
