// Section: what each CLI command costs on its own, next to one bare node boot
// (`node -e 0`), alternating. `status` and `reload` ask a running daemon;
// `stop` and the second `status` name a daemon that does not run, so they
// measure the CLI's start-up plus reading a pidfile.
import path from 'node:path';
import { PASS_LIBRARY, waitStamp } from './proc.mjs';

/** Starts the fixture under taskdaemon from `root`; returns { pid, pidfile, stop() }. */
export async function startDaemon(ctx, root, name) {
  const cli = path.join(root, 'bin', 'taskdaemon.js');
  const pidfile = path.join(ctx.dir, `${name}.pid`);
  const stamp = path.join(ctx.dir, `${name}.stamp`);
  const env = { ...ctx.env, BENCH_TASKDAEMON: root };
  await ctx.launchers.prompt.run([ctx.node, cli, 'start', ctx.app, '--name', name, '--pidfile', pidfile, '--stdout', path.join(ctx.dir, `${name}.log`), ...PASS_LIBRARY, '--', '0', stamp], { env });
  const pid = ctx.pids.add((await waitStamp(stamp)).pid);
  return { pid, pidfile, cli, stop: () => ctx.launchers.prompt.run([ctx.node, cli, 'stop', '--pidfile', pidfile], { env }) };
}

export async function cliSection(ctx, log) {
  const L = ctx.launchers.prompt;
  const roots = [['', ctx.root], ...(ctx.baseline ? [['baseline ', ctx.baseline]] : [])];
  const daemons = [];
  try {
    for (const [prefix, root] of roots) daemons.push([prefix, await startDaemon(ctx, root, `bench-cli${prefix ? '-base' : ''}`)]);
    const absent = path.join(ctx.dir, 'not-running.pid');
    const plan = [['node -e 0', [ctx.node, '-e', '0'], [0]]];
    for (const [prefix, d] of daemons) {
      const td = [ctx.node, d.cli];
      plan.push(
        [`${prefix}--version`, [...td, '--version'], [0]],
        [`${prefix}status (running)`, [...td, 'status', '--pidfile', d.pidfile], [0]],
        [`${prefix}status (not running)`, [...td, 'status', '--pidfile', absent], [3]],
        [`${prefix}stop (not running)`, [...td, 'stop', '--pidfile', absent], [1]],
        [`${prefix}reload`, [...td, 'reload', '--pidfile', d.pidfile], [0]],
      );
    }
    const res = { wall: {}, cpu: {} };
    const { cliIterations: n, warmup } = ctx.opts;
    for (let i = 0; i < warmup + n; i++) {
      if (i % 10 === 0) log(`cli: ${i < warmup ? 'warm-up' : `iteration ${i - warmup + 1}/${n}`}`);
      for (const [label, argv, okCodes] of plan) {
        const r = await L.run(argv, { env: ctx.env, okCodes });
        if (i >= warmup) {
          (res.wall[label] ??= []).push(r.ms);
          (res.cpu[label] ??= []).push(r.cpu);
        }
      }
    }
    return res;
  } finally {
    for (const [, d] of daemons) await d.stop();
  }
}
