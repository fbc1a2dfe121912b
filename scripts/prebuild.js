#!/usr/bin/env node
// `npm run prebuild`: the Node-API binaries shipped in prebuilds/ (one per
// architecture serves every Node >= 20), built with `prebuildify --napi --strip`,
// and beside each the native supervisor (taskdaemon-supervisor, an executable):
// linux-x64 with the host compiler, linux-arm64 with Debian's cross compiler
// (g++-aarch64-linux-gnu). Tagged glibc, so on musl node-gyp-build skips them
// and the install builds from source instead.
// Builds in a scratch copy of the sources: the checkout's build/ stays as it was
// (but is reused for this machine's architecture when it is fresh: freshHostBuild).
// Usage: node scripts/prebuild.js [x64] [arm64]   (default: both)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const CROSS = {
  x64: { host: 'x64' },
  arm64: { prefix: 'aarch64-linux-gnu-', apt: 'g++-aarch64-linux-gnu' },
};

function onPath(cmd) {
  return (process.env.PATH || '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}

function toolchainEnv(arch) {
  const t = CROSS[arch];
  if (!t) throw new Error(`unknown architecture '${arch}' (known: ${Object.keys(CROSS).join(', ')})`);
  if (arch === os.arch()) return { env: {}, strip: 'strip' };
  if (!t.prefix) throw new Error(`cannot cross-compile for ${arch} from ${os.arch()}`);
  if (!onPath(`${t.prefix}g++`)) throw new Error(`${t.prefix}g++ not found: apt-get install ${t.apt}`);
  return {
    env: { CC: `${t.prefix}gcc`, CXX: `${t.prefix}g++`, LINK: `${t.prefix}g++`, AR: `${t.prefix}ar` },
    strip: `${t.prefix}strip`,
  };
}

function stageSources() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-prebuild-'));
  for (const f of ['package.json', 'binding.gyp', 'native']) fs.cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  // binding.gyp asks node-addon-api for its include dir.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

// node-gyp needs Node's headers: those of the running node when it ships them
// (no download), else npm's nodedir setting, else node-gyp fetches them.
function headersEnv() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

// Every file the native build reads: binding.gyp and native/ (the vendored headers included).
function nativeSources() {
  const native = path.join(root, 'native');
  return [path.join(root, 'binding.gyp'), ...fs.readdirSync(native, { recursive: true }).map((f) => path.join(native, f))];
}

// The checkout's own Release build for this machine's architecture, when it is
// newer than every native source (`npm ci` has just made it, as in .ci/run):
// the same compiler, flags and sources as prebuildify would use, so it is
// copied and stripped instead of built a second time. Never a sanitizer
// build: those go to build/Debug.
function freshHostBuild(arch) {
  if (arch !== os.arch() || process.env.TD_PREBUILD_FRESH === '1') return null;
  const release = path.join(root, 'build', 'Release');
  const files = ['taskdaemon.node', 'taskdaemon-supervisor'].map((f) => path.join(release, f));
  if (!files.every((f) => fs.existsSync(f))) return null;
  const newest = Math.max(...nativeSources().map((f) => fs.statSync(f).mtimeMs));
  return files.every((f) => fs.statSync(f).mtimeMs > newest) ? { addon: files[0], supervisor: files[1] } : null;
}

function stripInto(strip, from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  const s = spawnSync(strip, [to, '--strip-all'], { stdio: 'inherit' }); // as prebuildify --strip does
  if (s.status !== 0) throw new Error(`${strip} ${path.basename(to)} failed (exit ${s.status})`);
}

function main(arches) {
  const prebuildify = path.join(root, 'node_modules', 'prebuildify', 'bin.js');
  const dir = stageSources();
  try {
    for (const arch of arches) {
      const { env, strip } = toolchainEnv(arch);
      const host = freshHostBuild(arch);
      if (host) {
        console.log(`prebuild: linux-${arch} from build/Release (newer than every native source; TD_PREBUILD_FRESH=1 builds it anew)`);
        stripInto(strip, host.addon, path.join(dir, 'prebuilds', `linux-${arch}`, 'taskdaemon.glibc.node'));
        stripInto(strip, host.supervisor, path.join(dir, 'prebuilds', `linux-${arch}`, 'taskdaemon-supervisor'));
        continue;
      }
      // JOBS=max: node-gyp's make uses every core.
      // --target: without it prebuildify asks for the newest Node's headers; any Node >= 20 builds the same N-API binary.
      const args = [prebuildify, '--napi', '--strip', '--tag-libc', `--arch=${arch}`, `--strip-bin=${strip}`, `--target=${process.versions.node}`];
      const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'], env: { JOBS: 'max', ...process.env, ...headersEnv(), ...env } });
      if (r.status !== 0) throw new Error(`prebuildify for linux-${arch} failed (exit ${r.status})`);
      // prebuildify ships .node files only: the native supervisor (an executable) goes beside the addon, stripped too.
      stripInto(strip, path.join(dir, 'build', 'Release', 'taskdaemon-supervisor'), path.join(dir, 'prebuilds', `linux-${arch}`, 'taskdaemon-supervisor'));
    }
    for (const arch of arches) {
      const from = path.join(dir, 'prebuilds', `linux-${arch}`);
      const to = path.join(root, 'prebuilds', `linux-${arch}`);
      fs.rmSync(to, { recursive: true, force: true });
      fs.cpSync(from, to, { recursive: true });
      for (const f of fs.readdirSync(to)) console.log(`prebuilds/linux-${arch}/${f} ${fs.statSync(path.join(to, f)).size} bytes`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main(process.argv.length > 2 ? process.argv.slice(2) : Object.keys(CROSS));
} catch (e) {
  console.error(`prebuild: ${e.message}`);
  process.exit(1);
}
