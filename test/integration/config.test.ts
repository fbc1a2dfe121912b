// taskdaemon.toml, TASKDAEMON_* and flags: a table of malformed input, each
// with its exit code and message, none leaving anything behind; and the
// precedence flags > environment > file > defaults, read back from `config show`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { pidsWith } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

function toml(s: Sandbox, text: string): string {
  const file = path.join(s.dir, 'taskdaemon.toml');
  fs.writeFileSync(file, text);
  return file;
}

// A valid base: every case breaks one thing.
const base = (s: Sandbox): string => `entry = "${PROBE}"\nname = "${s.name}"\npidfile = "${s.pidfile}"\nstdout = "${s.log}"\nstate_file = false\nargs = ["${s.tag}"]\n`;

type Case = [what: string, file: string | null, env: { [k: string]: string }, flags: string[], code: number, message: RegExp];

const CASES: Case[] = [
  ['TOML syntax error', 'name = "x\n', {}, [], 6, /invalid TOML: line \d+, column \d+: /],
  ['unknown key with a suggestion', 'umaks = "027"\n', {}, [], 6, /unknown key 'umaks' \(did you mean 'umask'\?\)/],
  ['unknown key without a suggestion', 'frobnicate = 1\n', {}, [], 6, /unknown key 'frobnicate'$/m],
  ['unknown key in a table', '[stop]\ntimeuot = 3\n', {}, [], 6, /unknown key 'stop.timeuot' \(did you mean 'stop.timeout'\?\)/],
  ['unknown table', '[helth]\nport = 80\n', {}, [], 6, /unknown key 'helth' \(did you mean 'health'\?\)/],
  ['umask as a number', 'umask = 27\n', {}, [], 6, /umask = 27: expected an octal umask as a string/],
  ['umask out of range', 'umask = "999"\n', {}, [], 6, /umask = "999": expected an octal umask/],
  ['negative ready_timeout', 'ready_timeout = -1\n', {}, [], 6, /ready_timeout = -1: expected seconds/],
  ['ready_timeout word', 'ready_timeout = "soon"\n', {}, [], 6, /ready_timeout = "soon": expected seconds/],
  ['grace zero', 'grace = 0\n', {}, [], 6, /grace = 0: expected seconds/],
  ['log_format xml', 'log_format = "xml"\n', {}, [], 6, /log_format = "xml": expected "text" or "json"/],
  ['nofile zero', 'nofile = 0\n', {}, [], 6, /nofile = 0: expected an integer from 1/],
  ['nofile as string', 'nofile = "many"\n', {}, [], 6, /nofile = "many": expected an integer/],
  ['core word', 'core = "lots"\n', {}, [], 6, /core = "lots": expected a number of bytes, or "unlimited"/],
  ['nice too low', 'nice = -21\n', {}, [], 6, /nice = -21: expected an integer from -20 to 19/],
  ['prevent_core not boolean', 'prevent_core = "yes"\n', {}, [], 6, /prevent_core = "yes": expected true or false/],
  ['env not a table', 'env = "A=1"\n', {}, [], 6, /env = "A=1": expected a table/],
  ['env with a bad name', 'env = { "1A" = "x" }\n', {}, [], 6, /env: expected a table|env = /],
  ['args not strings', 'args = [1, 2]\n', {}, [], 6, /args.0 = 1: expected an array of strings|args/],
  ['bad name', 'name = "../etc"\n', {}, [], 6, /name = "\.\.\/etc": expected a name/],
  ['health port too big', '[health]\nport = 70000\n', {}, [], 6, /health.port = 70000: expected a port number/],
  ['stop retry garbage', '[stop]\nretry = "TERM/x"\n', {}, [], 6, /stop.retry = "TERM\/x": expected a schedule/],
  ['unknown user in the file', 'user = "no-such-user-x"\n', {}, [], 6, /taskdaemon.toml: unknown user 'no-such-user-x'/],
  ['missing chdir in the file', 'chdir = "/no/such/dir"\n', {}, [], 6, /taskdaemon.toml: invalid --chdir/],
  ['entry in the file does not exist', 'entry = "nope.js"\n', {}, [], 5, /entry not found: .*nope\.js/],
  ['config file missing', null, {}, ['--config', '/no/such/taskdaemon.toml'], 6, /cannot read config \/no\/such\/taskdaemon.toml: no such file/],
  ['env: bad umask', '', { TASKDAEMON_UMASK: '0999' }, [], 6, /environment: TASKDAEMON_UMASK = "0999": expected an octal umask/],
  ['env: bad number', '', { TASKDAEMON_NICE: 'high' }, [], 6, /environment: TASKDAEMON_NICE = "high": expected an integer/],
  ['env: bad boolean', '', { TASKDAEMON_PREVENT_CORE: 'maybe' }, [], 6, /TASKDAEMON_PREVENT_CORE = "maybe": expected true or false/],
  ['env: unknown variable', '', { TASKDAEMON_UMSAK: '027' }, [], 6, /unknown variable TASKDAEMON_UMSAK \(did you mean TASKDAEMON_UMASK\?\)/],
  ['env: unknown user', '', { TASKDAEMON_USER: 'no-such-user-x' }, [], 6, /environment: unknown user 'no-such-user-x'/],
  ['flag: bad umask (a flag stays exit 2)', '', {}, ['--umask', '0999'], 2, /^taskdaemon: invalid umask '0999'/],
  ['flag: bad retry', '', {}, ['--nice', '99'], 2, /invalid --nice '99'/],
  ['flag beats a bad file value? no: the file is still checked', 'umask = 27\n', {}, ['--umask', '027'], 6, /umask = 27/],
];

describe('config: malformed input', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(30);
  for (const [what, file, env, flags, code, message] of CASES) {
    it(`${what} -> exit ${code}`, async () => {
      sb = sandbox();
      const cfg = file === null ? null : toml(sb, base(sb).split('\n').filter((l) => !file.startsWith(l.split(' ')[0] + ' ') || !l).join('\n') + file);
      const r = await td(['start', ...(cfg ? ['--config', cfg] : []), ...(file === null ? [PROBE, ...sb.flags] : []), ...flags], { env });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      // Nothing left behind.
      expect(pidsWith(sb.tag)).toEqual([]);
      expect(fs.existsSync(sb.pidfile)).toBe(false);
      expect(fs.existsSync(sb.log)).toBe(false);
    });
  }
});

describe('config: precedence and commands', () => {
  it('flags > environment > file > defaults', async () => {
    sb = sandbox();
    const cfg = toml(sb, base(sb) + 'umask = "027"\nnice = 3\ngrace = 10\nlog_format = "json"\n[stop]\nretry = "TERM/5/KILL/5"\n');
    const r = await td(['config', 'show', '--config', cfg, '--json', '--nice', '7'], { env: { TASKDAEMON_NICE: '5', TASKDAEMON_GRACE: '20' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.configFile).toBe(cfg);
    expect(c.nice).toBe(7); // flag over environment over file
    expect(c.grace).toBe(20); // environment over file
    expect(c.umask).toBe('027'); // file over default
    expect(c.log_format).toBe('json');
    expect(c.ready_timeout).toBe(60); // default
    expect(c.stop).toEqual({ timeout: 30, retry: 'TERM/5/KILL/5' });
    expect(c.entry).toBe(PROBE);
  });

  it('relative paths in the file are relative to the file', async () => {
    sb = sandbox();
    fs.copyFileSync(PROBE, path.join(sb.dir, 'app.js'));
    fs.mkdirSync(path.join(sb.dir, 'run'));
    const cfg = toml(sb, `entry = "app.js"\nname = "${sb.name}"\npidfile = "run/x.pid"\n`);
    const r = await td(['config', 'show', '--config', cfg, '--json'], { cwd: '/' });
    const c = JSON.parse(r.stdout);
    expect(c.entry).toBe(path.join(sb.dir, 'app.js'));
    expect(c.pidfile).toBe(path.join(sb.dir, 'run', 'x.pid'));
  });

  it('config check passes a good file and starts nothing', async () => {
    sb = sandbox();
    const cfg = toml(sb, base(sb));
    const r = await td(['config', 'check', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`config OK: ${cfg} (daemon ${sb.name})\n`);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it('a daemon starts, answers status and stops from its config file alone', async () => {
    sb = sandbox();
    const cfg = toml(sb, base(sb));
    expect((await td(['start', '--config', cfg])).code).toBe(0);
    const st = await td(['status', '--config', cfg]);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain(`${sb.name} is running`);
    expect((await td(['stop', '--config', cfg])).code).toBe(0);
    expect((await td(['status', '--config', cfg])).code).toBe(3);
  });

  it('./taskdaemon.toml is found in the working directory, and TASKDAEMON_CONFIG names another', async () => {
    sb = sandbox();
    toml(sb, base(sb));
    const here = await td(['config', 'check'], { cwd: sb.dir });
    expect(here.code).toBe(0);
    const other = path.join(sb.dir, 'other.toml');
    fs.writeFileSync(other, base(sb).replace(`name = "${sb.name}"`, 'name = "other-name"'));
    const viaEnv = await td(['config', 'check'], { cwd: '/', env: { TASKDAEMON_CONFIG: other } });
    expect(viaEnv.stdout).toContain('(daemon other-name)');
  });
});
