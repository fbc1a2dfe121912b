// The lifecycle fixture (test/fixtures/lifecycle.js) as the integration tests
// drive it: its JSON config, replaced atomically, and a started instance with
// the port it listens on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { FIXTURES, td } from './cli';
import type { Sandbox } from './sandbox';

export const APP = path.join(FIXTURES, 'lifecycle.js');

export function writeConfig(s: Sandbox, config: object): string {
  const file = path.join(s.dir, 'config.json');
  fs.writeFileSync(file + '.tmp', JSON.stringify(config));
  fs.renameSync(file + '.tmp', file);
  return file;
}

export async function startApp(s: Sandbox, config: object, ...extra: string[]): Promise<{ pid: number; port: number }> {
  const file = writeConfig(s, config);
  const r = await td(['start', APP, ...s.flags, ...extra, '--', s.tag, `--config=${file}`]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const ports = [...s.readLog().matchAll(/listening.{0,12}port (\d+)/g)]; // text or JSON lines; the latest start
  return { pid: s.readPid()!, port: Number(ports.at(-1)![1]) };
}
