// Section: start-to-ready, stop and memory of every contender on the fixture
// app. Each iteration runs every contender once, in turn, so machine noise
// hits them alike; under the prompt subreaper every contender runs, and with
// orphans left to PID 1 the ones whose stop depends on who reaps the daemon
// (taskdaemon waits on a pidfd, start-stop-daemon polls kill(pid, 0)).
import fs from 'node:fs';
import path from 'node:path';
import { makeContenders } from './contenders.mjs';

/** name → { figure → samples } */
function collect(res, name, figures) {
  const r = (res[name] ??= {});
  for (const [k, v] of Object.entries(figures)) (r[k] ??= []).push(v);
}

export async function startStopSection(ctx, log) {
  const c = makeContenders(ctx);
  const { prompt, pid1 } = ctx.launchers;
  /** [key, launcher, trial fn, reads memory] in run order */
  const plan = [
    ['floor', prompt, c.floor, false],
    ['bare', prompt, c.bare, true],
    ['taskdaemon', prompt, c.taskdaemon('bench-td', ctx.root), true],
    ...(ctx.baseline ? [['baseline', prompt, c.taskdaemon('bench-base', ctx.baseline), true]] : []),
    ...(ctx.peers.ssd ? [['ssd', prompt, c.ssdNotify, true]] : []),
    ['pm2Cold', prompt, c.pm2Cold, false],
    ['pm2Warm', prompt, c.pm2Warm, true],
    ['npmDaemon', prompt, c.npmDaemon, true],
    ['taskdaemon@pid1', pid1, c.taskdaemon('bench-td1', ctx.root), false],
    ...(ctx.peers.ssd ? [['ssd@pid1', pid1, c.ssdNotify, false]] : []),
  ];
  const peers = new Set(['ssd', 'pm2Cold', 'pm2Warm', 'npmDaemon', 'ssd@pid1']);
  if (ctx.opts.noPeers) plan.splice(0, plan.length, ...plan.filter(([key]) => !peers.has(key)));
  const res = {};
  const { iterations, warmup } = ctx.opts;
  for (let i = 0; i < warmup + iterations; i++) {
    log(`start/stop: ${i < warmup ? 'warm-up' : `iteration ${i - warmup + 1}/${iterations}`}`);
    for (const [key, L, trial, mem] of plan) {
      const dir = path.join(ctx.dir, 'trial');
      fs.mkdirSync(dir, { recursive: true });
      const figures = await trial(L, { i, dir, memory: mem });
      if (i >= warmup) collect(res, key, figures);
    }
  }
  if (!ctx.opts.noPeers) await prompt.run([ctx.node, ctx.peers.pm2, 'kill'], { env: c.pm2Env });
  return res;
}
