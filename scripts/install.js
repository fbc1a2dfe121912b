#!/usr/bin/env node
// The package's install step. Silent when a shipped prebuild loads here (the
// usual case: linux-x64 and linux-arm64 with glibc >= 2.34). Otherwise it
// builds the addon from source with node-gyp, its output kept in a log; if
// that fails too (no compiler), the install still succeeds and taskdaemon
// throws ERR_UNSUPPORTED_PLATFORM when used, naming the log. In a checkout of
// taskdaemon itself (`npm ci` there) a failed build fails the install, log shown.
// `npm install --build-from-source` skips the prebuilds.
// Then the CLI's code cache for the installing node (scripts/code-cache.js),
// when the package has none for it: every command starts faster with it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const LOG = path.join(root, 'build', 'source-build.log');

// node-gyp-build's resolver: prebuilds/<platform>-<arch>/ by libc tag (LIBC=musl overrides its guess).
function prebuildLoads() {
  try {
    if (fs.existsSync(path.join(root, 'build', 'Release', 'taskdaemon.node'))) return false; // rebuild: keep the source build fresh
    require(require('node-gyp-build').resolve(root));
    return true;
  } catch {
    return false;
  }
}

// npm hands its own node-gyp to install scripts; a checkout has one in devDependencies.
function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    return ['node-gyp'];
  }
}

function buildFromSource() {
  fs.rmSync(LOG, { force: true });
  const [cmd, ...args] = nodeGyp();
  // --jobs=max: every core (node-gyp's make is serial otherwise); the addon and the native supervisor build side by side.
  const r = spawnSync(cmd, [...args, 'rebuild', '--jobs=max'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status === 0) return true;
  fs.mkdirSync(path.dirname(LOG), { recursive: true });
  fs.writeFileSync(LOG, `${r.error ? `${r.error.message}\n` : ''}${r.stdout || ''}${r.stderr || ''}`);
  return false;
}

function main() {
  if (process.platform !== 'linux') return; // nothing can be built: import and the CLI say ERR_UNSUPPORTED_PLATFORM
  const fromSource = process.env.npm_config_build_from_source === 'true';
  if (!fromSource && prebuildLoads()) return;
  if (buildFromSource()) return;
  // `npm ci` in a checkout of taskdaemon itself: a compile error is the developer's to see.
  if (path.resolve(process.env.INIT_CWD || '.') === root) {
    process.stderr.write(fs.readFileSync(LOG, 'utf8'));
    process.exit(1);
  }
  // npm shows this only with --foreground-scripts; the same words come back, as an error, on first use.
  console.error(`taskdaemon: no prebuilt addon fits linux-${process.arch} and the source build failed (log: ${LOG});`);
  console.error('taskdaemon: it will throw ERR_UNSUPPORTED_PLATFORM until a C++ compiler, make and python3 are installed and `npm rebuild taskdaemon` runs');
}

// Best effort: a package directory it cannot write (or no bundles: a checkout
// before `npm run compile`, which makes them and their caches) is no failure.
function codeCache() {
  // Bounded: a slow machine (or an emulated one) installs in time and gets the caches made so far.
  spawnSync(process.execPath, [path.join(__dirname, 'code-cache.js'), '--if-missing'], { cwd: root, stdio: 'ignore', timeout: 60_000 });
}

main();
codeCache();
