/**
 * The part of the WebAssembly JS API the engine's dense kernels use (numerics/wasm/kernels.ts). Node has it,
 * but its typings live in TypeScript's DOM lib, which the server layer does not load (server/tsconfig.json).
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Instance {
    constructor(module: Module, importObject?: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: BufferSource): boolean;
}
type BufferSource = ArrayBufferView | ArrayBuffer;
