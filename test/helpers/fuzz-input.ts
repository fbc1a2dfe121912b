// Random and mutated inputs for the fuzzing item of the failure-mode suite:
// command lines, taskdaemon.toml files, TASKDAEMON_* environments and
// control-socket messages. Every path they name lies inside `dir` (or does
// not exist), and every name is fresh, so running them touches nothing else.
import * as path from 'node:path';
import type { Rng } from './rng';

export interface FuzzWorld {
  /** A private directory: every path drawn is inside it. */
  dir: string;
  /** An entry that exists (its init fails at once, so no daemon is left). */
  entry: string;
  /** A small log file that exists. */
  log: string;
}

const COMMANDS = ['start', 'stop', 'restart', 'reload', 'status', 'health', 'run', 'logs', 'install', 'config'];
const ODD_WORDS = ['', ' ', '-', '--', '---', '-x', 'help', 'START', 'stop stop', '💥', 'é', '\t', '\\', '"', "'", '$HOME', '%s', '../..', '*'];

const DURATIONS = ['30', '0', '-1', '0.0001', '0.001', '2.5', '500ms', '1m', '3000000', '99999999999999999999', '1e3', '1e309', 'NaN', 'Infinity', '', ' ', 'abc', '10s', '0x10', '2147483.648', '2147484', '1.7976931348623157e308', '.5', '5.', '-0'];
const INTEGERS = ['0', '1', '-1', '19', '-20', '20', '-21', '65535', '65536', '1024', '1073741824', '1073741825', '2147483648', '-2147483649', '9007199254740993', 'unlimited', '', 'abc', '1.5', '0x20', ' 7 '];
const UMASKS = ['022', '0', '000', '777', '0777', '0999', '8', '1234', '-1', '', 'rwx', '0o22', '027 '];
const USERS = ['', 'root', 'nobody', '0', '65534', '-1', '4294967295', 'no-such-user-fz', 'a'.repeat(300), '$UNSET', 'root:root', ' '];
const RETRIES = ['TERM/30/KILL/5', '5', '0', 'KILL/1', 'TERM/0/forever', 'forever', 'TERM', 'TERM/x', 'FOO/1', '9/1', '-9/1', 'TERM//KILL/5', '/', '', 'TERM/1/forever/KILL/1', 'HUP/1/forever'];
const FORMATS = ['text', 'json', 'xml', '', 'TEXT'];
const HOSTS = ['127.0.0.1', '::1', 'localhost', '', 'no.such.host.invalid', '999.1.1.1', '0.0.0.0'];
const ENVS = ['K=V', 'K=', '=V', 'K', '1K=V', 'K=V=W', 'PATH=', 'K=\n', 'Ä=1', 'K=' + 'v'.repeat(5000)];

type Kind = 'duration' | 'integer' | 'umask' | 'user' | 'path' | 'dir' | 'name' | 'retry' | 'format' | 'host' | 'env' | 'port' | 'bool' | 'word';

const FLAGS: [string, Kind][] = [
  ['--name', 'name'], ['--pidfile', 'path'], ['--user', 'user'], ['--group', 'user'], ['--config', 'path'], ['--umask', 'umask'],
  ['--chdir', 'dir'], ['--stdout', 'path'], ['--stderr', 'path'], ['--env', 'env'], ['--ready-timeout', 'duration'], ['--grace', 'duration'],
  ['--log-format', 'format'], ['--state-file', 'path'], ['--no-state-file', 'bool'], ['--watch-config', 'path'], ['--nofile', 'integer'],
  ['--core', 'integer'], ['--prevent-core', 'bool'], ['--nice', 'integer'], ['--health-port', 'port'], ['--health-host', 'host'],
  ['--oknodo', 'bool'], ['--json', 'bool'], ['--timeout', 'duration'], ['--retry', 'retry'], ['--no-pidfile', 'bool'], ['-n', 'integer'],
  ['--lines', 'integer'], ['--output', 'path'], ['--force', 'bool'], ['--type', 'word'], ['--watchdog', 'duration'], ['--debug', 'bool'],
  ['--frobnicate', 'word'], ['-Z', 'bool'], ['--help', 'bool'], ['--version', 'bool'],
];

export class FuzzInput {
  constructor(
    private readonly r: Rng,
    private readonly w: FuzzWorld,
  ) {}

  private odd(): string {
    const r = this.r;
    switch (r.int(0, 5)) {
      case 0:
        return r.pick(ODD_WORDS);
      case 1:
        return String.fromCharCode(...Array.from({ length: r.int(1, 12) }, () => r.int(1, 0x2fff)));
      case 2:
        return 'x'.repeat(r.int(100, 5000));
      case 3:
        return String(r.int(-1e6, 1e6));
      default:
        return r.pick(['', '-', '--x', '=', '==']);
    }
  }

  /** A path: inside the sandbox (existing or not), a special file, or nonsense. */
  path(): string {
    const r = this.r;
    const d = this.w.dir;
    return r.pick([
      path.join(d, `f${r.int(0, 9)}.pid`),
      path.join(d, `f${r.int(0, 9)}.log`),
      path.join(d, 'no', 'such', 'dir', 'x.pid'),
      path.join(d, 'x'.repeat(r.int(50, 300)) + '.pid'),
      this.w.log,
      this.w.entry,
      d,
      `${d}/`,
      `rel-${r.int(0, 9)}.pid`,
      '/dev/null',
      '',
      '.',
      path.join(d, 'a b', 'c d.pid'),
      path.join(d, '💥.pid'),
    ]);
  }

  private value(kind: Kind): string {
    const r = this.r;
    if (r.chance(0.1)) return this.odd();
    switch (kind) {
      case 'duration':
        return r.pick(DURATIONS);
      case 'integer':
      case 'port':
        return r.pick(INTEGERS);
      case 'umask':
        return r.pick(UMASKS);
      case 'user':
        return r.pick(USERS);
      case 'path':
        return this.path();
      case 'dir':
        return r.pick([this.w.dir, path.join(this.w.dir, 'nope'), this.w.log, '/', '.', '']);
      case 'name':
        return r.pick([`fz${r.int(0, 1e9)}`, '', '.hidden', 'a/b', '..', 'x'.repeat(65), 'My Server', 'ok-name_1.2@x']);
      case 'retry':
        return r.pick(RETRIES);
      case 'format':
        return r.pick(FORMATS);
      case 'host':
        return r.pick(HOSTS);
      case 'env':
        return r.pick(ENVS);
      case 'word':
        return r.pick(['forking', 'notify', 'simple', 'systemd', 'initd', 'check', 'show', '']);
      case 'bool':
        return '';
    }
  }

  /** A command line (after `taskdaemon`): mostly well-formed, with wrong values and odd bits. */
  argv(): string[] {
    const r = this.r;
    const out: string[] = [];
    out.push(r.chance(0.9) ? r.pick(COMMANDS) : this.odd());
    const cmd = out[0];
    if (cmd === 'install') out.push(r.pick(['systemd', 'initd', 'upstart', '']));
    if (cmd === 'config') out.push(r.pick(['check', 'show', 'edit', '']));
    // Positionals: an entry for the commands that run one, a name for the others.
    if (r.chance(0.7)) {
      out.push(['start', 'restart', 'run', 'install', 'config'].includes(cmd!) ? r.pick([this.w.entry, this.w.entry, this.path(), 'app.js', this.odd()]) : this.value('name'));
    }
    for (let i = r.int(0, 6); i > 0; i--) {
      const [flag, kind] = r.pick(FLAGS);
      if (kind === 'bool') out.push(flag);
      else if (r.chance(0.5)) out.push(`${flag}=${this.value(kind)}`);
      else out.push(flag, this.value(kind));
    }
    if (r.chance(0.3)) out.push('--', ...Array.from({ length: r.int(0, 4) }, () => (r.chance(0.5) ? r.pick(FLAGS)[0] : this.odd())));
    return this.mutate(out);
  }

  private mutate(argv: string[]): string[] {
    const r = this.r;
    const a = [...argv];
    for (let i = r.chance(0.3) ? r.int(1, 3) : 0; i > 0; i--) {
      const at = r.int(0, a.length);
      switch (r.int(0, 3)) {
        case 0:
          a.splice(at, 1);
          break;
        case 1:
          a.splice(at, 0, this.odd());
          break;
        case 2:
          if (a.length) a.splice(at, 0, a[r.int(0, a.length - 1)]!);
          break;
        default:
          a.reverse();
      }
    }
    // A real argv cannot hold NUL.
    return a.map((s) => s.replace(/\0/g, ''));
  }

  /** TASKDAEMON_* variables (sometimes none), mostly known keys with odd values. */
  env(): { [k: string]: string } {
    const r = this.r;
    if (r.chance(0.7)) return {};
    const keys = ['NAME', 'PIDFILE', 'USER', 'GROUP', 'UMASK', 'READY_TIMEOUT', 'GRACE', 'LOG_FORMAT', 'STATE_FILE', 'NOFILE', 'CORE', 'PREVENT_CORE', 'NICE', 'OKNODO', 'STOP_TIMEOUT', 'STOP_RETRY', 'HEALTH_PORT', 'HEALTH_HOST', 'STDOUT', 'ENTRY', 'NMAE', 'STOP'];
    const out: { [k: string]: string } = {};
    for (let i = r.int(1, 3); i > 0; i--) out[`TASKDAEMON_${r.pick(keys)}`] = r.pick([...DURATIONS.slice(0, 8), ...USERS.slice(0, 6), ...INTEGERS.slice(0, 6), 'true', 'false', 'yes', '', this.path()]);
    return out;
  }

  /** A taskdaemon.toml: a valid one mutated, or built from odd values, or plain noise. */
  toml(): string {
    const r = this.r;
    const roll = r.int(0, 9);
    if (roll === 0) return r.bytes(r.int(0, 400)).toString('latin1');
    const lines = this.validToml().split('\n');
    if (roll <= 4) {
      // Replace some values with values of the wrong kind, or of the right kind but out of range.
      for (let i = r.int(1, 4); i > 0; i--) {
        const at = r.int(0, lines.length - 1);
        const key = /^(\w+)\s*=/.exec(lines[at]!)?.[1];
        if (key) lines[at] = `${key} = ${this.tomlValue()}`;
      }
    } else if (roll <= 7) {
      // Text-level damage: drop, duplicate, insert, or cut.
      for (let i = r.int(1, 5); i > 0; i--) {
        const at = r.int(0, lines.length - 1);
        const line = lines[at]!;
        switch (r.int(0, 4)) {
          case 0:
            lines.splice(at, 1);
            break;
          case 1:
            lines.splice(at, 0, line);
            break;
          case 2:
            lines[at] = line.slice(0, r.int(0, line.length));
            break;
          case 3:
            lines[at] = line.slice(0, r.int(0, line.length)) + r.pick(['"', "'", '[', ']', '=', '#', '\\', '{', '}', '\u0000', '\r', '\uFEFF']) + line.slice(r.int(0, line.length));
            break;
          default:
            lines.splice(at, 0, `${r.pick(['naem', 'pid_file', 'stop.timout', 'x', '"quoted key"', 'ünï'])} = ${this.tomlValue()}`);
        }
      }
    } else {
      lines.push(r.pick(['[stop]\ntimeout = 1', '[health]\nport = 0', '[[stop]]', '[env]\nK = 1', `deep = ${'['.repeat(r.int(1, 3000))}`, 'a.b.c.d.e.f = 1', '[stop.sub]\nx = 1']));
    }
    return lines.join(r.chance(0.1) ? '\r\n' : '\n');
  }

  private tomlValue(): string {
    const r = this.r;
    return r.pick([
      '""', '"x"', `"${this.path()}"`, '0', '-1', '1.5', 'inf', '-inf', 'nan', '9223372036854775807', '-9223372036854775808', '1e400', 'true', 'false',
      '[]', '["a", 1]', '{}', '{ a = 1 }', '1979-05-27T07:32:00Z', '07:32:00', "'''multi\nline'''", '"\\u0000"', `"${'x'.repeat(r.int(1, 3000))}"`,
      '0x1f', '0o777', '0b101', '+1', '"027"', '"999"', '"unlimited"', '"TERM/30/KILL/5"', '"TERM//"', '"500ms"', '"-1s"',
    ]);
  }

  /** A complete, valid config in the sandbox. */
  validToml(): string {
    const r = this.r;
    return [
      `entry = "${this.w.entry}"`,
      `name = "fz${r.int(0, 1e9)}"`,
      `pidfile = "${path.join(this.w.dir, 'cfg.pid')}"`,
      `stdout = "${path.join(this.w.dir, 'cfg.log')}"`,
      'umask = "027"',
      `chdir = "${this.w.dir}"`,
      'ready_timeout = 5',
      'grace = "2s"',
      'log_format = "json"',
      'state_file = false',
      'nofile = 1024',
      'core = "unlimited"',
      'nice = 5',
      'oknodo = true',
      'args = ["--x", "1"]',
      '[env]',
      'K = "v"',
      '[stop]',
      'timeout = 3',
      'retry = "TERM/3/KILL/1"',
      '[health]',
      'host = "127.0.0.1"',
    ].join('\n');
  }

  /** One line for the control socket: noise, JSON of any shape, a batch, or a mangled request. */
  rpcLine(): Buffer {
    const r = this.r;
    const roll = r.int(0, 19);
    if (roll === 0) return Buffer.concat([Buffer.from(r.bytes(r.int(1, 200)).filter((x) => x !== 0x0a)), Buffer.from('\n')]);
    if (roll === 1) return Buffer.from('x'.repeat(70 * 1024) + '\n'); // past the 64 KiB line limit
    if (roll <= 3) return Buffer.from(JSON.stringify(this.jsonValue(3)) + '\n');
    if (roll <= 5) return Buffer.from(JSON.stringify(Array.from({ length: r.int(0, 5) }, () => this.request())) + '\n');
    const text = JSON.stringify(this.request());
    return Buffer.from((r.chance(0.15) ? text.slice(0, r.int(0, text.length)) : text) + '\n');
  }

  private request(): unknown {
    const r = this.r;
    // Never "shutdown": that one is meant to work. awaitReload waits no longer than a second.
    const method = r.pick(['ping', 'status', 'health', 'version', 'reload', 'awaitReload', 'nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'PING', 'ping ']);
    const req: { [k: string]: unknown } = {};
    if (r.chance(0.9)) req.jsonrpc = r.chance(0.9) ? '2.0' : r.pick(['1.0', 2, null, '']);
    if (r.chance(0.85)) req.id = r.pick([1, 0, -1, 'a', null, 1.5, true, [], {}, 2 ** 53]);
    if (r.chance(0.95)) req.method = r.chance(0.95) ? method : this.jsonValue(1);
    if (r.chance(0.5)) {
      req.params =
        method === 'awaitReload' && r.chance(0.7)
          ? { after: r.pick([0, -1, 1e9, 'x', null]), timeoutMs: r.pick([0, 1, 500, -5, 'x', 1e309, null]) }
          : this.jsonValue(2);
    }
    // Random params may hold an `after` and no `timeoutMs`: the daemon's default (60 s) would apply.
    if (method === 'awaitReload' && typeof req.params === 'object' && req.params && !Array.isArray(req.params)) {
      const p = req.params as { timeoutMs: unknown };
      if (p.timeoutMs === undefined || (typeof p.timeoutMs === 'number' && p.timeoutMs > 1000)) p.timeoutMs = 1000;
    }
    return req;
  }

  private jsonValue(depth: number): unknown {
    const r = this.r;
    const roll = r.int(0, depth > 0 ? 8 : 5);
    switch (roll) {
      case 0:
        return null;
      case 1:
        return r.chance(0.5);
      case 2:
        return r.pick([0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1]);
      case 3:
        return this.odd();
      case 4:
        return '';
      case 5:
        return r.pick(['ping', 'status', '2.0', '__proto__']);
      case 6:
        return Array.from({ length: r.int(0, 4) }, () => this.jsonValue(depth - 1));
      default: {
        const o: { [k: string]: unknown } = {};
        for (let i = r.int(0, 4); i > 0; i--) o[r.pick(['a', 'id', 'method', 'params', '__proto__', 'constructor', 'after', 'timeoutMs', this.odd()])] = this.jsonValue(depth - 1);
        return o;
      }
    }
  }
}
