// The supervision options (src/supervisor/options.ts, listen-spec.ts) and the
// restart backoff (backoff.ts): what is accepted, what each bad value says,
// and how the delays grow, reset and give up, with the clock passed in.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskdaemonError } from '../../src/errors';
import { resolveOptions } from '../../src/options';
import { native } from '../../src/native';
import { parseListen, parseListens } from '../../src/supervisor/listen-spec';
import { parseRestartLimit, resolveSupervision, STAYED_UP_MS } from '../../src/supervisor/options';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'probe.js');

function failure(fn: () => unknown): { code: number; message: string; key: string | undefined } {
  try {
    fn();
  } catch (e) {
    if (e instanceof TaskdaemonError) return { code: e.exitCode, message: e.message, key: e.key };
    throw e;
  }
  throw new Error('did not throw');
}

describe('--listen', () => {
  it('takes tcp, tcp6 and unix sockets, named or after the daemon', () => {
    expect(parseListen('tcp:127.0.0.1:8080', 'api')).toEqual({ name: 'api', kind: 'tcp', host: '127.0.0.1', port: 8080, path: '', text: 'tcp:127.0.0.1:8080' });
    expect(parseListen('web=tcp6:[::1]:80', 'api')).toMatchObject({ name: 'web', kind: 'tcp6', host: '::1', port: 80 });
    expect(parseListen('tcp6:[]:80', 'api')).toMatchObject({ host: '' });
    expect(parseListen('tcp:*:80', 'api')).toMatchObject({ host: '' });
    expect(parseListen('tcp:localhost:3000', 'api')).toMatchObject({ host: 'localhost', port: 3000 });
    expect(parseListen('admin=unix:/run/app/admin.sock', 'api')).toMatchObject({ name: 'admin', kind: 'unix', path: '/run/app/admin.sock' });
  });

  it('refuses what cannot be bound, with one line naming the value', () => {
    for (const [spec, why] of [
      ['127.0.0.1:80', /expected tcp:HOST:PORT, tcp6:\[ADDR\]:PORT or unix:\/PATH/],
      ['tcp:127.0.0.1:99999', /'99999' is not a port/],
      ['tcp:127.0.0.1', /expected tcp:HOST:PORT/],
      ['tcp:::1:80', /an IPv6 address takes tcp6:\[ADDR\]:PORT/],
      ['tcp6:[127.0.0.1]:80', /an IPv4 address takes tcp:HOST:PORT/],
      ['unix:relative.sock', /unix: needs an absolute path/],
      ['bad name=tcp:127.0.0.1:80', /'bad name' is not a socket name/],
    ] as const) {
      const f = failure(() => parseListen(spec, 'api'));
      expect(f.code, spec).toBe(2);
      expect(f.key).toBe('listen');
      expect(f.message).toContain(`invalid --listen '${spec}'`);
      expect(f.message, spec).toMatch(why);
    }
    expect(failure(() => parseListens(['tcp:127.0.0.1:80', 'b=tcp:127.0.0.1:80'], 'api')).message).toMatch(/listed twice/);
  });
});

describe('supervision options', () => {
  it('none of them, or only their defaults: no supervisor, the daemon is the program itself', () => {
    expect(resolveSupervision({}, 'api')).toBeNull();
    expect(resolveSupervision({ restart: 'no', instances: 1, restartDelay: '1s' }, 'api')).toBeNull();
    expect(resolveOptions({ entry: FIXTURE }).supervise).toBeNull();
  });

  it('any of --restart on-failure|always, --listen, --instances > 1: a supervisor, with the defaults', () => {
    expect(resolveSupervision({ restart: 'always' }, 'api')).toEqual({
      restart: 'always',
      restartDelayMs: 100,
      restartDelayMaxMs: 30_000,
      restartLimit: { burst: 5, intervalMs: 10_000 },
      listen: [],
      instances: 1,
    });
    expect(resolveSupervision({ instances: '4' }, 'api')).toMatchObject({ restart: 'no', instances: 4 });
    expect(resolveSupervision({ listen: 'tcp:127.0.0.1:80' }, 'api')?.listen).toHaveLength(1);
    expect(resolveOptions({ entry: FIXTURE, restart: 'on-failure', restartDelay: '50ms', restartLimit: '3/1m' }).supervise).toMatchObject({
      restartDelayMs: 50,
      restartLimit: { burst: 3, intervalMs: 60_000 },
    });
    expect(parseRestartLimit('off')).toBeNull();
  });

  it('bad values are exit 2 with the flag named', () => {
    for (const [o, key, why] of [
      [{ restart: 'sometimes' }, 'restart', /expected no, on-failure or always/],
      [{ restart: 'always', restartLimit: '5' }, 'restart-limit', /BURST\/INTERVAL|a slash/],
      [{ restart: 'always', restartLimit: '0/10s' }, 'restart-limit', /from 1/],
      [{ restart: 'always', restartLimit: '5/soon' }, 'restart-limit', /'soon' is not a duration/],
      [{ restart: 'always', restartDelay: '0' }, 'restart-delay', /positive/],
      [{ restart: 'always', restartDelay: '2s', restartDelayMax: '1s' }, 'restart-delay-max', /shorter than --restart-delay/],
      [{ instances: '0' }, 'instances', /from 1 to 256/],
      [{ instances: 'two' }, 'instances', /from 1 to 256/],
    ] as const) {
      const f = failure(() => resolveSupervision(o, 'api'));
      expect(f.code, JSON.stringify(o)).toBe(2);
      expect(f.key).toBe(key);
      expect(f.message).toMatch(why);
    }
  });
});

// The native supervisor's own code (native/supervisor/backoff.h), through the addon.
describe('restart backoff', () => {
  const s = { delayMs: 100, maxMs: 1_000, limit: { burst: 5, intervalMs: 10_000 } };
  const decide = (spec: typeof s | (Omit<typeof s, 'limit'> & { limit: null }), steps: ([number, number] | 'reset')[]) => native().backoffDecisions(spec, steps);

  it('doubles after each quick failure, up to the maximum, then gives up past the limit', () => {
    const delays = decide({ ...s, limit: null }, Array.from({ length: 7 }, (_, i) => [50, i * 100] as [number, number])).map((d) => (d?.restart ? d.delayMs : -1));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);

    const decisions = decide(s, Array.from({ length: 6 }, (_, i) => [50, i * 1_000] as [number, number]));
    expect(decisions.slice(0, 5).every((d) => d?.restart)).toBe(true);
    expect(decisions[5]).toEqual({ restart: false, count: 5, intervalMs: 10_000 });
  });

  it('starts over once an instance stayed up STAYED_UP_MS, and counts only restarts within the interval', () => {
    const d = decide(s, [[50, 0], [50, 100], [50, 200], [STAYED_UP_MS, 20_000], 'reset', [50, 20_100]]);
    expect(d[2]).toMatchObject({ delayMs: 400 });
    expect(d[3]).toMatchObject({ restart: true, delayMs: 100, count: 1 }); // the first three fell out of the interval
    expect(d[4]).toBeNull();
    expect(d[5]).toMatchObject({ delayMs: 100, count: 1 });
  });
});
