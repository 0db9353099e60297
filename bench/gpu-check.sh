#!/usr/bin/env bash
# The GPU check, run on the lent device machine through the device tool's `run`, in the repo root:
#   run: bash bench/gpu-check.sh        carry: [".gl", ".gpucarry"]
# Prepare both here first: `bash bench/gpu-carry.sh` (node, a trimmed node_modules, the compiled out/)
# and the Vulkan loader packages into .gl/ as the device tool's README says. The device has no Node and
# no internet: everything comes from the carried folders.
set -u
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
mkdir -p /tmp/gpuck && tar -xJf .gpucarry/node.tar.xz -C /tmp/gpuck && tar -xJf .gpucarry/modules.tar.xz -C .
export PATH=/tmp/gpuck/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
node --version
node out/bench/gpu-check.js "$@" 2>&1 | tee "${OUT:-/tmp}/gpu-check.txt"
