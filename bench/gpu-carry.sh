#!/usr/bin/env bash
# Builds .gpucarry/ for bench/gpu-check.sh: the node binary and a node_modules trimmed to what the
# embedder needs on linux-x64 (xz-compressed to fit the device tool's 64 MiB carry), plus out/.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
rm -rf .gpucarry && mkdir -p .gpucarry/stage/bin
grep -qx '/.gpucarry/' .git/info/exclude 2>/dev/null || echo '/.gpucarry/' >> .git/info/exclude
cp "$(command -v node)" .gpucarry/stage/bin/node
tar -C .gpucarry/stage -cJf .gpucarry/node.tar.xz bin
keep=(@tensorflow/tfjs-core @tensorflow/tfjs-converter @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-backend-wasm
      @tensorflow/tfjs-backend-webgpu webgpu onnxruntime-node onnxruntime-common sharp @img detect-libc semver
      seedrandom long @webgpu better-sqlite3 bindings file-uri-to-path)
list=()
for m in "${keep[@]}"; do [ -e "node_modules/$m" ] && list+=("node_modules/$m"); done
list+=(node_modules/@vladmandic/human/package.json node_modules/@vladmandic/human/models/centernet.json node_modules/@vladmandic/human/models/centernet.bin out package.json)
tar -cJf .gpucarry/modules.tar.xz \
  --exclude='*darwin*' --exclude='*win32*' --exclude='*.dll' --exclude='*/linux/arm64/*' --exclude='*.map' \
  --exclude='*/dist/*.es2017.*' --exclude='*/dist/*.fesm.*' "${list[@]}"
rm -rf .gpucarry/stage
du -sh .gpucarry/*
