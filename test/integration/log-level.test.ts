// --log-level (flag, config key, TASKDAEMON_LOG_LEVEL): lines below it are not
// written, ctx.log included; a reload re-reads it from the config file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

const events = (s: Sandbox): string[] => s.readLog().split('\n').filter(Boolean).map((l) => l.split(' ')[3]!);

describe('--log-level', () => {
  it('warn: only warn and error lines, from the runtime and from ctx.log', async () => {
    sb = sandbox();
    const r = await td(['start', PROBE, ...sb.flags, '--log-level', 'warn', '--', sb.tag, '--log-lines']);
    expect(r.code).toBe(0);
    expect(events(sb)).toEqual(['probe-warn', 'probe-error']);
  });

  it('debug from the config file; a reload re-reads it (error hides the SIGUSR1 report, info shows it again)', async () => {
    sb = sandbox();
    const cfg = path.join(sb.dir, 'app.toml');
    const write = (level: string): void => fs.writeFileSync(cfg, `log_level = "${level}"\nargs = ["${sb.tag}", "--log-lines"]\n`);
    write('debug');
    expect((await td(['start', PROBE, ...sb.flags, '--config', cfg])).code).toBe(0);
    expect(events(sb)).toContain('probe-debug');
    write('error');
    expect((await td(['reload', '--pidfile', sb.pidfile])).code).toBe(0);
    const pid = sb.readPid()!;
    process.kill(pid, 'SIGUSR1');
    write('info');
    expect((await td(['reload', '--pidfile', sb.pidfile])).code).toBe(0);
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => events(sb).includes('status'), 5_000, 'the status report at level info');
    // Exactly one report: the one sent while the level was error was not written.
    expect(events(sb).filter((e) => e === 'status')).toHaveLength(1);
    expect(events(sb).filter((e) => e === 'log-level')).toEqual(['log-level', 'log-level']);
  });

  it('a bad level is exit 2 as a flag and 6 from the environment', async () => {
    sb = sandbox();
    expect((await td(['start', PROBE, ...sb.flags, '--log-level', 'loud', '--', sb.tag])).code).toBe(2);
    const fromEnv = await td(['start', PROBE, ...sb.flags, '--', sb.tag], { env: { TASKDAEMON_LOG_LEVEL: 'loud' } });
    expect(fromEnv.code).toBe(6);
    expect(fromEnv.stderr).toContain('TASKDAEMON_LOG_LEVEL = "loud": expected "debug", "info", "warn" or "error"');
  });
});
