// Failure-mode suite, item 8: fuzzing. Random and mutated taskdaemon.toml
// files and command lines (with TASKDAEMON_* variables), and random bytes and
// JSON on the control socket, in both directions. Nothing may crash, hang or
// print a stack trace, and every exit code is a documented one (0-7).
// The bulk runs in this process (the built CLI program via createProgram with
// exitOverride; spawning 10,000 node processes would take most of an hour on
// two cores); a bounded sample of the same inputs runs the real CLI.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Pidfile from '../../src/pidfile';
import { startApp } from '../helpers/app';
import { FIXTURES, ROOT, td, type CliResult } from '../helpers/cli';
import { InProcessCli, type InProcessResult } from '../helpers/cli-inprocess';
import { FuzzInput, type FuzzWorld } from '../helpers/fuzz-input';
import { LineClient } from '../helpers/line-client';
import { alive, pidsWith } from '../helpers/proc';
import { rng } from '../helpers/rng';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure, FULL } from '../helpers/stress';
import { contractBreach, DOCUMENTED_CODES, hasStackTrace } from '../helpers/verdict';

const CONFIGS = count(150, 10_000);
const ARGVS = count(150, 10_000);
const MESSAGES = count(200, 10_000);
const SPAWNED_ARGVS = count(6, 300);
const SPAWNED_CONFIGS = count(2, 100);
const REPLIES = count(1, 10);
const REFUSES = path.join(FIXTURES, 'refuses.js');
const random = rng();

let sb: Sandbox;
let world: FuzzWorld;
let gen: FuzzInput;
let cli: InProcessCli;
beforeAll(() => {
  sb = sandbox('fuzz');
  const log = path.join(sb.dir, 'small.log');
  fs.writeFileSync(log, 'one\ntwo\nthree\n');
  world = { dir: sb.dir, entry: REFUSES, log };
  gen = new FuzzInput(random, world);
  cli = new InProcessCli(sb.dir);
});
afterAll(async () => {
  cli?.close();
  await sb?.cleanup();
});

// Why an in-process run breaks the contract, or null.
function inProcessBreach(r: InProcessResult): string | null {
  if (r.crash) return `crash: ${r.crash.split('\n').slice(0, 4).join(' | ')}`;
  if (!DOCUMENTED_CODES.includes(r.code)) return `exit ${r.code}`;
  if (hasStackTrace(r.output)) return 'stack trace';
  return null;
}

function tally(codes: Map<number, number>): string {
  return [...codes.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ');
}

const MAX_SHOWN = 15;

describe('fuzzing', () => {
  it(`${CONFIGS} random and mutated taskdaemon.toml files (config check, in process) and ${SPAWNED_CONFIGS} with the real CLI`, { timeout: count(120_000, 3_600_000) }, async () => {
    const codes = new Map<number, number>();
    const problems: string[] = [];
    const file = path.join(sb.dir, 'fuzz.toml');
    for (let i = 0; i < CONFIGS; i++) {
      const text = gen.toml();
      fs.writeFileSync(file, text);
      const argv = ['config', random.pick(['check', 'show']), '--config', file, ...(random.chance(0.3) ? ['--json'] : [])];
      const r = await cli.run(argv, gen.env());
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      const breach = inProcessBreach(r);
      if (breach && problems.length < MAX_SHOWN) problems.push(`${breach}\n--- config:\n${text.slice(0, 500)}`);
    }
    let spawnedOk = 0;
    for (let i = 0; i < SPAWNED_CONFIGS; i++) {
      const text = gen.toml();
      fs.writeFileSync(file, text);
      const r = await td(['config', 'check', '--config', file], { cwd: sb.dir });
      const breach = contractBreach(r);
      if (breach) problems.push(`real CLI: ${breach}: ${r.stderr.slice(0, 300)}\n--- config:\n${text.slice(0, 500)}`);
      else spawnedOk++;
    }
    figure({
      item: '8 fuzzing: config files',
      tried: `random and mutated taskdaemon.toml (with TASKDAEMON_* variables) through \`config check|show\`: ${CONFIGS} in process (createProgram), ${SPAWNED_CONFIGS} with the real CLI (seed ${random.seed})`,
      times: CONFIGS + SPAWNED_CONFIGS,
      held: `no crash, hang or stack trace, documented exit codes: ${CONFIGS + spawnedOk - Math.min(problems.length, CONFIGS)}/${CONFIGS + SPAWNED_CONFIGS} (exit codes ${tally(codes)})`,
    });
    expect(problems).toEqual([]);
  });

  it(`${ARGVS} random command lines in process and ${SPAWNED_ARGVS} with the real CLI`, { timeout: count(120_000, 3_600_000) }, async () => {
    const codes = new Map<number, number>();
    const problems: string[] = [];
    let bad = 0;
    for (let i = 0; i < ARGVS; i++) {
      const argv = gen.argv();
      const env = gen.env();
      const r = await cli.run(argv, env);
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      const breach = inProcessBreach(r);
      if (breach) {
        bad++;
        if (problems.length < MAX_SHOWN) problems.push(`${breach}: ${JSON.stringify(argv)} env ${JSON.stringify(env)}`);
      }
    }
    // The real CLI: defaults that stay in the sandbox, unless the fuzzed variables override them (with sandbox paths).
    const safe = { TASKDAEMON_PIDFILE: path.join(sb.dir, 'env.pid'), TASKDAEMON_STDOUT: path.join(sb.dir, 'env.log'), TASKDAEMON_STATE_FILE: 'false' };
    let spawnedBad = 0;
    for (let i = 0; i < SPAWNED_ARGVS; i++) {
      const argv = gen.argv();
      const env = { ...safe, ...gen.env() };
      let r: CliResult;
      try {
        r = await td(argv, { cwd: sb.dir, env, timeoutMs: 60_000 });
      } catch (e) {
        spawnedBad++;
        problems.push(`real CLI hung: ${JSON.stringify(argv)}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      // --debug asks for stack traces; everything else must not print one. `run`
      // sends its own output to the log (TASKDAEMON_STDOUT): its failure is told there.
      // (`run --debug` may print a trace on stderr like any command asked for one.)
      const asked = argv.includes('--debug') || (argv[0] === 'run' && !hasStackTrace(r.stderr));
      const allowed = asked && !r.signal && DOCUMENTED_CODES.includes(r.code ?? -1);
      const breach = allowed ? null : contractBreach(r);
      if (breach) {
        spawnedBad++;
        problems.push(`real CLI: ${breach}: ${JSON.stringify(argv)} env ${JSON.stringify(env)}: ${r.stderr.slice(0, 300)}`);
      }
    }
    const leftover = pidsWith(REFUSES).filter(alive);
    if (leftover.length) problems.push(`daemons left running: ${leftover.join(', ')}`);
    figure({
      item: '8 fuzzing: command lines',
      tried: `random and mutated argument vectors (all commands and flags, odd values, TASKDAEMON_* variables): ${ARGVS} in process (createProgram with exitOverride; start, restart and run up to option resolution), ${SPAWNED_ARGVS} with the real CLI (seed ${random.seed})`,
      times: ARGVS + SPAWNED_ARGVS,
      held: `no crash, hang or stack trace, documented exit codes: ${ARGVS + SPAWNED_ARGVS - bad - spawnedBad}/${ARGVS + SPAWNED_ARGVS} (in-process exit codes ${tally(codes)})`,
    });
    expect(problems).toEqual([]);
  });

  it('a value holding a newline or a terminal escape is shown escaped: the error stays one line', async () => {
    const file = path.join(sb.dir, 'newline.toml');
    fs.writeFileSync(file, `entry = "${REFUSES}"\nchdir = "${sb.dir}/multi\\nline"\n`);
    const r = await td(['config', 'check', '--config', file]);
    expect(r.code).toBe(6);
    expect(r.stderr.split('\n')[0]).toBe(`taskdaemon: ${file}: invalid --chdir '${sb.dir}/multi\\nline': not a directory`);
    const esc = await td(['config', 'check', REFUSES, '--name', '\x1b[2Jboom']);
    expect(esc.code).toBe(2);
    expect(esc.stderr).not.toContain('\x1b');
    expect(esc.stderr.split('\n')[0]).toBe("taskdaemon: invalid name '\\x1b[2Jboom'");
  });

  it(`${MESSAGES} random lines on a live daemon's control socket`, { timeout: count(120_000, 3_600_000) }, async () => {
    const s = sandbox('fuzz-rpc');
    try {
      const { pid } = await startApp(s, { version: 1 });
      const sock = s.pidfile.replace(/\.pid$/, '.sock');
      const problems: string[] = [];
      let answered = 0;
      let silent = 0;
      const lanes = 4;
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          let c = await LineClient.connect(sock);
          for (let i = lane; i < MESSAGES; i += lanes) {
            const line = gen.rpcLine();
            const sync = `sync-${lane}-${i}`;
            c.send(line);
            c.send(JSON.stringify({ jsonrpc: '2.0', id: sync, method: 'ping' }) + '\n');
            const replies: string[] = [];
            let synced = false;
            for (;;) {
              const got = await c.next(5_000);
              if (got === null) break;
              if (got.includes(`"${sync}"`)) {
                synced = true;
                break;
              }
              replies.push(got);
            }
            for (const r of replies) {
              const why = badReply(r);
              if (why && problems.length < MAX_SHOWN) problems.push(`${why}: ${r.slice(0, 200)} (to ${line.toString('utf8').slice(0, 200)})`);
            }
            const wanted = expectsReply(line.toString('utf8'));
            if (replies.length) answered++;
            else silent++;
            if (wanted && !replies.length && problems.length < MAX_SHOWN) problems.push(`no answer to ${line.toString('utf8').slice(0, 200)}`);
            if (!synced) {
              // Only a line past the size limit may end the connection (after its error reply).
              if (!c.closed && problems.length < MAX_SHOWN) problems.push(`no answer to the ping after ${line.toString('utf8').slice(0, 200)}`);
              c.close();
              c = await LineClient.connect(sock);
            }
          }
          c.close();
        }),
      );
      expect(alive(pid)).toBe(true);
      const st = await td(['status', '--pidfile', s.pidfile, '--json']);
      expect(st.code).toBe(0);
      expect((JSON.parse(st.stdout) as { daemon: { pid: number } }).daemon.pid).toBe(pid);
      expect(s.readLog()).not.toMatch(/uncaught|run-failed|TypeError|RangeError/);
      const stop = await td(['stop', '--pidfile', s.pidfile]);
      expect(stop.code).toBe(0);
      figure({
        item: '8 fuzzing: control socket',
        tried: `random bytes, JSON of any shape, batches, cut and oversized lines, requests with odd ids, methods and params (never shutdown), each followed by a ping, on ${lanes} connections to a live daemon (seed ${random.seed})`,
        times: MESSAGES,
        held: `daemon alive and answering throughout; every answer valid JSON-RPC; ${answered} answered, ${silent} silent (notifications); problems ${problems.length}`,
      });
      expect(problems).toEqual([]);
    } finally {
      await s.cleanup();
    }
  });

  it(`garbage answers from the control socket: status and health still answer with a documented code (${REPLIES} round(s))`, { timeout: count(120_000, 3_600_000) }, async () => {
    const s = sandbox('fuzz-replies');
    const load = createRequire(path.join(ROOT, 'package.json'));
    const pidfile = load(path.join(ROOT, 'dist', 'pidfile.js')) as typeof Pidfile;
    // This process holds the lock and names itself: to status it is the daemon.
    const lock = pidfile.lockPidfile(s.pidfile);
    fs.writeSync(lock.fd, `${process.pid}\n`, 0);
    const sockPath = s.pidfile.replace(/\.pid$/, '.sock');
    const KINDS: [string, (c: net.Socket) => void][] = [
      ['random bytes and a newline', (c) => c.end(Buffer.concat([Buffer.from(random.bytes(random.int(1, 300)).filter((x) => x !== 0x0a)), Buffer.from('\n')]))],
      ['random bytes, then close', (c) => c.end(random.bytes(random.int(1, 300)))],
      ['valid JSON of the wrong shape', (c) => c.end(random.pick(['{}', '[]', '"x"', '5', 'null', '{"result":5}', '{"result":null}', '{"error":"x"}', '{"error":{"code":"x"}}', '{"result":{"phase":1,"ok":"yes"}}', '{"jsonrpc":"2.0","id":1,"result":{"memory":null}}']) + '\n')],
      ['a cut JSON-RPC answer', (c) => c.end('{"jsonrpc":"2.0","id":1,"result":{"pid":' + '\n')],
      ['2 MiB without a newline', (c) => c.end(Buffer.alloc(2 * 1024 * 1024, 0x61))],
      ['close at once', (c) => c.destroy()],
    ];
    let kind = KINDS[0]!;
    const server = net.createServer((c) => {
      c.on('error', () => {});
      c.once('data', () => kind[1](c));
    });
    await new Promise<void>((r) => server.listen(sockPath, r));
    const problems: string[] = [];
    let trials = 0;
    try {
      for (let i = 0; i < REPLIES; i++) {
        for (const [n, k] of KINDS.entries()) {
          kind = k;
          // Quick mode (npm test): one command per kind, in turn; full mode all four.
          const commands = [['status'], ['health', '--json'], ['status', '--json'], ['health']];
          for (const cmd of FULL ? commands : [commands[n % commands.length]!]) {
            const r = await td([...cmd, '--pidfile', s.pidfile], { timeoutMs: 30_000 }).catch((e: Error) => ({ code: null, signal: null, stdout: '', stderr: `hung: ${e.message}`, pid: 0 }) as CliResult);
            trials++;
            const breach = contractBreach(r);
            // The lock decides status: it is held, so the answer is 0 whatever the socket says.
            const wrong = cmd[0] === 'status' && r.code !== 0 ? `status exit ${r.code} although the lock is held` : null;
            if (breach || wrong) problems.push(`${k[0]}: ${cmd.join(' ')}: ${breach ?? wrong}: ${(r.stdout + r.stderr).slice(0, 300)}`);
          }
        }
      }
    } finally {
      server.close();
      fs.closeSync(lock.fd);
      await s.cleanup();
    }
    figure({
      item: '8 fuzzing: control socket answers',
      tried: `a fake daemon (holding the lock) answering status and health with ${KINDS.map((k) => k[0]).join(', ')}; real CLI, text and --json`,
      times: trials,
      held: `documented code, no stack trace, status 0 while the lock is held: ${trials - problems.length}/${trials}`,
    });
    expect(problems).toEqual([]);
  });
});

// A reply line must be JSON-RPC 2.0: an object (or a batch of them) with jsonrpc "2.0".
function badReply(line: string): string | null {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return 'reply is not JSON';
  }
  const ok = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as { jsonrpc?: unknown }).jsonrpc === '2.0';
  return (Array.isArray(msg) ? msg.length > 0 && msg.every(ok) : ok(msg)) ? null : 'reply is not JSON-RPC 2.0';
}

// JSON-RPC 2.0: every request is answered except a notification (a valid
// request without "id"), and a batch made only of notifications.
function expectsReply(line: string): boolean {
  const t = line.trim();
  if (!t) return false;
  let msg: unknown;
  try {
    msg = JSON.parse(t);
  } catch {
    return true;
  }
  const silent = (m: unknown): boolean => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
    const r = m as { jsonrpc?: unknown; method?: unknown; params?: unknown };
    return r.jsonrpc === '2.0' && typeof r.method === 'string' && !('id' in r) && (r.params === undefined || (typeof r.params === 'object' && r.params !== null));
  };
  return Array.isArray(msg) ? msg.length === 0 || !msg.every(silent) : !silent(msg);
}
