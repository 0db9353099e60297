/**
 * TensorFlow.js backend selection. Optional native/GPU packages are tried with guarded requires; every
 * failed attempt is recorded so `backendDetail` can say why a faster backend was not used.
 *
 * Order for 'auto': tfjs-node-gpu → tfjs-node → webgpu (only when an adapter is found) → wasm (SIMD).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tfc from '@tensorflow/tfjs-core';

type Tf = typeof tfc;

/** 'onnx' is ONNX Runtime (`./onnxRunner.ts`), not a tfjs backend; the rest are set up here. */
export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu', 'onnx'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** Backends that run inside a pool of worker threads (single-threaded in Node, so one per core). */
export type PooledBackend = 'wasm' | 'cpu';

export function isBackendChoice(x: unknown): x is BackendChoice {
  return typeof x === 'string' && (BACKEND_CHOICES as readonly string[]).includes(x);
}

export interface BackendResult {
  /** What actually loaded: the tfjs backend name ('wasm', 'cpu', 'tensorflow', 'webgpu'). */
  readonly name: string;
  /** Human-readable: build/device, and why earlier candidates were skipped. */
  readonly detail: string;
}

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/** Directory holding the .wasm binaries of @tensorflow/tfjs-backend-wasm. */
export function wasmDir(): string {
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  // entry: …/tfjs-backend-wasm/dist/index.js (or tf-backend-wasm.node.js) — both live in dist/.
  let dir = path.dirname(entry);
  if (!fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))) dir = path.join(dir, '..', 'dist');
  return dir;
}

/** Sets up the WASM backend, single-threaded, SIMD build when the runtime supports it. */
export async function setupWasm(tf: Tf): Promise<BackendResult> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const dir = wasmDir();
  const simd = path.join(dir, 'tfjs-backend-wasm-simd.wasm');
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': path.join(dir, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': simd,
    // Never used: threads are off below (Emscripten pthreads do not run under Node here).
    'tfjs-backend-wasm-threaded-simd.wasm': simd,
  });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the WASM backend failed to initialise');
  await tf.ready();
  const hasSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { name: 'wasm', detail: `wasm (${hasSimd ? 'SIMD' : 'no SIMD'}, single-threaded)` };
}

export async function setupCpu(tf: Tf): Promise<BackendResult> {
  require('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the CPU backend failed to initialise');
  await tf.ready();
  return { name: 'cpu', detail: 'cpu (plain JavaScript, slow)' };
}

/** tfjs-node(-gpu) registers the native 'tensorflow' backend on the shared tfjs-core instance. */
export async function setupNative(tf: Tf, gpu: boolean): Promise<BackendResult> {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  try {
    require(pkg);
  } catch (e) {
    throw new BackendError(`${pkg}: ${shortReason(e)}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`${pkg}: the 'tensorflow' backend failed to initialise`);
  await tf.ready();
  return { name: 'tensorflow', detail: `tensorflow (${pkg}, native libtensorflow)` };
}

/** WebGPU in Node through the `webgpu` package (Dawn); only when it finds an adapter. */
/** Where Linux distributions put the Vulkan loader; Dawn needs it and prints a warning when it is missing. */
const VULKAN_LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...VULKAN_LOADER_DIRS];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')));
}

export async function setupWebgpu(tf: Tf): Promise<BackendResult> {
  // Without a Vulkan loader Dawn finds no adapter anyway, after printing a warning to stderr.
  if (!hasVulkanLoader()) throw new BackendError('webgpu: no Vulkan loader (libvulkan.so.1) found');
  let dawn: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    // The `webgpu` package is an ES module (require() of it fails on Node 20); its Dawn addon is a plain
    // native module that CommonJS can load directly.
    const dir = path.dirname(require.resolve('webgpu/package.json'));
    const arch = process.platform === 'darwin' ? 'universal' : process.arch;
    dawn = require(path.join(dir, 'dist', `${process.platform}-${arch}.dawn.node`)) as typeof dawn;
  } catch (e) {
    throw new BackendError(`webgpu: ${shortReason(e)}`);
  }
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  Object.assign(globalThis, dawn.globals);
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  const gpu = dawn.create([]) as { requestAdapter(): Promise<{ info?: { vendor?: string; device?: string } } | null> };
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new BackendError('webgpu: no GPU adapter found');
  try {
    require('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    throw new BackendError(`@tensorflow/tfjs-backend-webgpu: ${shortReason(e)}`);
  }
  if (!(await tf.setBackend('webgpu'))) throw new BackendError('webgpu: the backend failed to initialise');
  await tf.ready();
  const info = adapter.info ? ` ${adapter.info.vendor ?? ''} ${adapter.info.device ?? ''}`.trimEnd() : '';
  return { name: 'webgpu', detail: `webgpu (Dawn${info})` };
}

/**
 * Tries the in-process accelerated backends in 'auto' order. Returns undefined (with the reasons) when
 * none loads: the caller then uses the WASM worker pool.
 */
export async function tryAccelerated(tf: Tf): Promise<{ result?: BackendResult; skipped: string[] }> {
  const skipped: string[] = [];
  const attempts: (() => Promise<BackendResult>)[] = [() => setupNative(tf, true), () => setupNative(tf, false), () => setupWebgpu(tf)];
  for (const attempt of attempts) {
    try {
      return { result: await attempt(), skipped };
    } catch (e) {
      skipped.push(shortReason(e));
    }
  }
  return { skipped };
}

function shortReason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const first = (err.message ?? String(e)).split('\n')[0];
  return err.code === 'MODULE_NOT_FOUND' ? `not installed (${first})` : first;
}
