// Custom control methods (defineDaemon({ methods })) against a real daemon:
// `taskdaemon call` prints the JSON result or the method's own error, waits
// for a daemon still starting, gives up after --timeout; DaemonManager.call()
// is the same call from code; built-in names cannot be shadowed.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, td } from '../helpers/cli';
import { sandbox, type Sandbox } from '../helpers/sandbox';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require(path.join(ROOT, 'dist', 'index.js')) as typeof import('../../src/index');

const METHODS = path.join(FIXTURES, 'methods.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

describe('taskdaemon call', () => {
  it('prints the result, the method error (exit 1), an unknown method (exit 1), bad JSON (exit 2), a timeout, and 7 once stopped', async () => {
    sb = sandbox();
    expect((await td(['start', METHODS, ...sb.flags, '--', sb.tag])).code).toBe(0);
    const pid = sb.readPid();

    const ok = await td(['call', sb.name, 'flush', '{"n":[1,"two"]}', '--pidfile', sb.pidfile]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ got: { n: [1, 'two'] }, pid, phase: 'ready' });
    // With the daemon named by an option, NAME may be left out.
    const byOption = await td(['call', '--pidfile', sb.pidfile, 'flush', '[3]']);
    expect(JSON.parse(byOption.stdout)).toMatchObject({ got: [3] });

    const failed = await td(['call', '--pidfile', sb.pidfile, 'fail']);
    expect([failed.code, failed.stdout, failed.stderr]).toEqual([1, '', 'taskdaemon: disk full\n']);
    const unknown = await td(['call', '--pidfile', sb.pidfile, 'nope']);
    expect([unknown.code, unknown.stderr]).toEqual([1, `taskdaemon: ${sb.name} has no method 'nope'\n`]);
    const scalar = await td(['call', '--pidfile', sb.pidfile, 'flush', '5']);
    expect(scalar.code).toBe(2);
    expect(scalar.stderr).toMatch(/^taskdaemon: invalid JSON params '5': expected an object or an array/);
    const slow = await td(['call', '--pidfile', sb.pidfile, 'slow', '{"ms":1500}', '--timeout', '0.3']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toMatch(/no answer to 'slow' .* within 300 ms/);
    // Built-ins answer through call too.
    expect(JSON.parse((await td(['call', '--pidfile', sb.pidfile, 'ping'])).stdout)).toBe('pong');

    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    const gone = await td(['call', '--pidfile', sb.pidfile, 'flush']);
    expect([gone.code, gone.stderr]).toEqual([7, `taskdaemon: ${sb.name} is not running\n`]);
  });

  it('a call made while the daemon starts waits for readiness; DaemonManager.call is the same call', async () => {
    sb = sandbox();
    const m = new lib.DaemonManager({ entry: METHODS, name: sb.name, pidfile: sb.pidfile, stdout: sb.log, stateFile: false, args: [sb.tag, '--init-delay=1500'] });
    const starting = m.start();
    // The call goes out once the pidfile is locked, long before init ends.
    while (!m.isRunning()) await new Promise((r) => setTimeout(r, 10));
    const early = await m.call<{ phase: string }>('flush', { early: true }, 10_000);
    expect(early).toMatchObject({ got: { early: true }, phase: 'ready' });
    await starting;
    await expect(m.call('fail')).rejects.toMatchObject({ code: 'ERR_METHOD_FAILED', message: 'disk full' });
    await expect(m.call('nope')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_METHOD' });
    expect(await m.call('count')).toBe(2);
    await m.stop();
    await expect(m.call('count')).rejects.toMatchObject({ code: 'ERR_NOT_RUNNING' });
  });

  it('defineDaemon refuses a method that would shadow a built-in, a reserved name, or a non-function', () => {
    expect(() => lib.defineDaemon({ methods: { status: () => 1 } })).toThrow(/'status' is a built-in control method/);
    expect(() => lib.defineDaemon({ methods: { 'rpc.x': () => 1 } })).toThrow(/reserved by JSON-RPC/);
    expect(() => lib.defineDaemon({ methods: { flush: 1 as never } })).toThrow(/methods.flush must be a function/);
    expect(() => lib.defineDaemon({ methods: { flush: () => 1 } })).not.toThrow();
  });
});
