// Turns the sections' samples into bench/RESULTS.md and the summary for the
// README: median and min–max of every figure, its ratio to the floor or peer
// measured in the same run, and the issue's targets checked against paired
// differences (each iteration's contender minus that same iteration's floor).
import { median, paired, summarize } from './stats.mjs';

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const signed = (x, f = f1) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${f(x)}` : '–');
const range = (s, f = f1) => (s.n ? `${f(s.min)}–${f(s.max)}` : '–');

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const diff = (a, b) => paired(a, b, (x, y) => x - y);
const sum = (a, b) => paired(a, b, (x, y) => x + y);

/** The issue's targets, each from figures of this run. */
export function targets(r) {
  const ss = r.startStop ?? {};
  const cli = r.cli?.wall ?? {};
  const floor = ss.floor?.start ?? [];
  const cliFloor = cli['node -e 0'] ?? [];
  const td = ss.taskdaemon ?? {};
  const bare = ss.bare ?? {};
  const t = [];
  const add = (what, limit, value, ok, unit = 'ms') => t.push({ what, limit, value: `${signed(value)} ${unit}`.trim(), ok: Number.isFinite(value) ? ok(value) : null });
  for (const cmd of ['--version', 'status (running)', 'status (not running)', 'stop (not running)']) {
    add(`\`taskdaemon ${cmd.replace(/ \(.*/, '')}\`${cmd.includes('(') ? ` ${cmd.replace(/^[^(]*/, '')}` : ''} − \`node -e 0\``, '≤ +8 ms', median(diff(cli[cmd], cliFloor)), (v) => v <= 8);
  }
  // fork − bare.fork: spawn → the daemon's node starts, less the part of a node boot before its time origin.
  add('`taskdaemon start` up to the daemon\'s exec − `node -e 0`', '≤ +8 ms', median(diff(diff(td.fork, bare.fork), floor)), (v) => v <= 8);
  add('`taskdaemon start` − (`node -e 0` + bare app to ready)', '≤ +10 ms', median(diff(td.start, sum(floor, bare.ready))), (v) => v <= 10);
  add('`taskdaemon stop` − (`node -e 0` + the app\'s own SIGTERM → exit)', '≤ +10 ms', median(diff(td.stop, sum(floor, bare.exited))), (v) => v <= 10);
  add('daemon VmRSS − bare app VmRSS', '≤ +5 MB', median(diff(td.rss, bare.rss)), (v) => v <= 5, 'MB');
  add('daemon private − bare app private', '≤ +2 MB', median(diff(td.priv, bare.priv)), (v) => v <= 2, 'MB');
  const c = r.control;
  if (c) {
    t.push({ what: 'control `ping` p99, 1 client', limit: '< 1 ms', value: `${f3(summarize(c.ping).p99)} ms`, ok: summarize(c.ping).p99 < 1 });
    t.push({ what: 'reload: SIGHUP → result (median; no hook)', limit: '≤ 5 ms', value: `${f2(median(c.reload))} ms`, ok: median(c.reload) <= 5 });
  }
  const warm = ss.pm2Warm?.start;
  if (warm) {
    const x = median(paired(warm, td.start, (a, b) => a / b));
    t.push({ what: '`pm2 start --wait-ready` (God warm) ÷ `taskdaemon start`', limit: '≥ 3×', value: ratio(x), ok: x >= 3 });
  }
  const sup = r.supervise?.taskdaemon?.memory?.supervisor;
  if (sup) t.push({ what: 'the supervisor\'s own private memory (issue 12)', limit: '≤ 5 MB', value: `${f1(sup.priv)} MB`, ok: sup.priv <= 5 });
  // A run of some sections only (--only) has figures for some targets only.
  return t.filter((x) => x.ok !== null);
}

function targetsTable(t) {
  return table(['target (issues 10, 12)', 'limit', 'measured (median of paired runs)', 'met'], t.map((x) => [x.what, x.limit, x.value, x.ok === null ? '–' : x.ok ? 'yes' : '**no**']));
}

const CONTENDER = {
  bare: 'bare app `node app.js`',
  taskdaemon: '`taskdaemon start` / `stop`',
  baseline: 'baseline `taskdaemon start` / `stop`',
  ssd: '`start-stop-daemon --start --background --notify-await` / `--stop --retry TERM/30/KILL/5`',
  pm2Warm: '`pm2 start --wait-ready` (God daemon warm) / `pm2 stop`',
  pm2Cold: '`pm2 start --wait-ready` (God daemon cold)',
  npmDaemon: 'npm `daemon` package (returns before ready)',
};

function startTable(ss) {
  const floor = ss.floor.start;
  const bareReady = ss.bare.ready;
  const base = sum(floor, bareReady);
  const tdStart = ss.taskdaemon?.start;
  const rows = [[`floor \`node -e 0\``, f1(median(floor)), range(summarize(floor)), '', '', '', '', '']];
  rows.push([CONTENDER.bare, '', '', f1(median(bareReady)), range(summarize(bareReady)), '0', f1(median(ss.bare.boot)), '']);
  for (const k of ['taskdaemon', 'baseline', 'ssd', 'pm2Warm', 'pm2Cold', 'npmDaemon']) {
    const s = ss[k];
    if (!s) continue;
    const vsFloor = median(paired(s.start, base, (a, b) => a / b));
    const vsTd = k !== 'taskdaemon' && tdStart ? ` · ${ratio(median(paired(s.start, tdStart, (a, b) => a / b)))} taskdaemon` : '';
    rows.push([CONTENDER[k], f1(median(s.start)), range(summarize(s.start)), f1(median(s.ready)), range(summarize(s.ready)), f1(median(diff(s.fork, ss.bare.fork))), f1(median(s.boot)), `${ratio(vsFloor)} floor+bare${vsTd}`]);
  }
  return table(['contender', 'start cmd, median', 'min–max', 'spawn → listening', 'min–max', 'before the app\'s node starts', 'app\'s node: time origin → listening', 'start ÷ (floor + bare ready)'], rows);
}

function stopTable(ss) {
  const floor = ss.floor.start;
  const base = sum(floor, ss.bare.exited);
  const rows = [[CONTENDER.bare + ': SIGTERM → exit', 'prompt', '', '', f1(median(ss.bare.exited)), '']];
  const entries = [
    ['taskdaemon', 'prompt reaper'], ['taskdaemon@pid1', 'PID 1'], ['baseline', 'prompt reaper'], ['ssd', 'prompt reaper'], ['ssd@pid1', 'PID 1'],
    ['pm2Warm', 'prompt reaper'],
  ];
  for (const [k, mode] of entries) {
    const s = ss[k];
    if (!s?.stop) continue;
    rows.push([CONTENDER[k.replace('@pid1', '')], mode, f1(median(s.stop)), range(summarize(s.stop)), f1(median(s.exited)), ratio(median(paired(s.stop, base, (a, b) => a / b)))]);
  }
  if (ss.pm2Warm?.delete) rows.push(['`pm2 delete` (running app)', 'prompt reaper', f1(median(ss.pm2Warm.delete)), range(summarize(ss.pm2Warm.delete)), '', ratio(median(ss.pm2Warm.delete) / median(base))]);
  return table(['contender', 'orphans reaped by', 'stop cmd, median', 'min–max', 'stop spawn → app exit', 'stop ÷ (floor + app exit)'], rows);
}

function memoryTable(ss) {
  const b = ss.bare;
  const row = (label, rss, priv, anon) => [label, f1(median(rss)), signed(median(diff(rss, b.rss))), f1(median(priv)), signed(median(diff(priv, b.priv))), f1(median(anon)), signed(median(diff(anon, b.anon)))];
  const rows = [row('bare app', b.rss, b.priv, b.anon)];
  for (const k of ['taskdaemon', 'baseline', 'ssd', 'npmDaemon', 'pm2Warm']) if (ss[k]?.rss) rows.push(row(`${k === 'pm2Warm' ? 'app under pm2' : CONTENDER[k].replace(/ \/.*/, '').replace(/`taskdaemon start`/, 'taskdaemon daemon')}`, ss[k].rss, ss[k].priv, ss[k].anon));
  const p = ss.pm2Warm;
  if (p?.godRss) {
    rows.push(['pm2 God daemon', f1(median(p.godRss)), '', f1(median(p.godPriv)), '', f1(median(p.godAnon)), '']);
    rows.push(row('pm2: app + God daemon', sum(p.rss, p.godRss), sum(p.priv, p.godPriv), sum(p.anon, p.godAnon)));
  }
  return table(['process', 'VmRSS MB', 'Δ bare', 'private MB', 'Δ bare', 'anonymous MB', 'Δ bare'], rows);
}

function cliTable({ wall, cpu }) {
  const hasBaseline = Object.keys(wall).some((k) => k.startsWith('baseline '));
  const rows = Object.entries(wall).map(([label, s]) => {
    const sm = summarize(s);
    const isFloor = label === 'node -e 0';
    const own = (x) => (isFloor ? '' : signed(median(diff(x[label], x['node -e 0']))));
    const vsBase = (x) => (x[`baseline ${label}`] ? signed(median(diff(x[label], x[`baseline ${label}`]))) : '');
    const row = [isFloor ? 'floor `node -e 0`' : `\`taskdaemon ${label}\``, f1(sm.median), range(sm), own(wall), isFloor ? '' : ratio(median(paired(s, wall['node -e 0'], (a, b) => a / b))), f1(median(cpu[label])), own(cpu)];
    return hasBaseline ? [...row, vsBase(wall), vsBase(cpu)] : row;
  });
  const head = ['command', 'wall ms, median', 'min–max', '− `node -e 0` (paired)', '÷ `node -e 0`', 'CPU ms (user+sys)', 'CPU − `node -e 0`'];
  return table([...head, ...(hasBaseline ? ['wall − baseline (paired)', 'CPU − baseline'] : [])], rows);
}

function controlTable(c) {
  const p = summarize(c.ping);
  const cp = summarize(c.connectPing);
  const l16 = summarize(c.latency16);
  const rl = summarize(c.reload);
  return table(['figure', 'p50', 'p99', 'min–max', 'n'], [
    ['`ping`, 1 client, one connection (ms)', f3(p.median), f3(p.p99), range(p, f3), p.n],
    ['connect + `ping` + close, 1 client, as the CLI does (ms)', f3(cp.median), f3(cp.p99), range(cp, f3), cp.n],
    [`\`ping\`, 16 clients: **${Math.round(c.perSecond16)} requests/s** (latency ms)`, f3(l16.median), f3(l16.p99), range(l16, f3), l16.n],
    ['reload: SIGHUP → result over the socket (ms)', f3(rl.median), f3(rl.p99), range(rl, f3), rl.n],
  ]);
}

function scaleTable(s) {
  const row = (label, t, ssd, unit = 'ms') => [label, t === undefined ? '–' : `${unit === 'ms' ? f1(t) : t}`, ssd === undefined ? '–' : `${unit === 'ms' ? f1(ssd) : ssd}`];
  const td = s.taskdaemon;
  const ssd = s.ssd ?? {};
  return table(['figure', 'taskdaemon', 'start-stop-daemon --notify-await'], [
    row(`${s.n} different daemons started in parallel, all ready (wall ms)`, td.start, ssd.start),
    row(`\`status\` of all ${s.n}, in parallel (wall ms)`, td.status, ssd.status),
    row(`stop all ${s.n}, in parallel (wall ms)`, td.stop, ssd.stop),
    row(`${s.n} concurrent starts of one name (wall ms)`, td.oneName, ssd.oneName),
    row('… of which exited 0', td.oneWinners, ssd.oneWinners, 'n'),
    row('… copies of the app left running', td.oneRunning, ssd.oneRunning, 'n'),
  ]);
}

// Supervision: the same app, 2 instances, restarted gracefully N times under the same load.
function superviseTable(sv) {
  const mb = (m) => (m ? `${f1(m.rss)} MB / ${f1(m.priv)} MB` : '–');
  const col = (x, f) => (x ? f(x) : '–');
  const reasons = (x) => (x.failed ? ` (${Object.entries(x.reasons).map(([k, v]) => `${k} ${v}`).join(', ')})` : '');
  const t = sv.taskdaemon;
  const p = sv.pm2;
  // The --baseline tree, when given, in a column of its own beside this one.
  const b = sv.baseline ?? null;
  const ours = (f) => [f(t), ...(b ? [f(b)] : [])];
  const head = `\`start --instances ${sv.instances} --listen\`, \`restart --graceful\``;
  return table(['', `taskdaemon: ${head}`, ...(b ? [`baseline taskdaemon: ${head}`] : []), `pm2 cluster mode: \`start -i ${sv.instances} --wait-ready\`, \`pm2 reload\``], [
    ['graceful restarts under load', ...ours(() => String(sv.n)), col(p, () => String(sv.n))],
    ['requests answered during them', ...ours((x) => String(x.requests)), col(p, (x) => String(x.requests))],
    ['**failed requests** (refused, reset, timed out, 5xx)', ...ours((x) => `**${x.failed}**${reasons(x)}`), col(p, (x) => `**${x.failed}**${reasons(x)}`)],
    ['every instance pid replaced', ...ours((x) => `${x.replaced}/${sv.n}`), col(p, (x) => `${x.replaced}/${sv.n}`)],
    ['one restart command, wall ms (median, min–max)', ...ours((x) => `${f1(median(x.times))} (${range(summarize(x.times))})`), col(p, (x) => `${f1(median(x.times))} (${range(summarize(x.times))})`)],
    ['the supervising process, VmRSS / private', ...ours((x) => `${mb(x.memory.supervisor)} (supervisor); after the restarts ${mb(x.memory.supervisorAfter)}`), col(p, (x) => `${mb(x.memory.supervisor)} (God daemon); after the restarts ${mb(x.memory.supervisorAfter)}`)],
    ['one app instance, VmRSS / private', ...ours((x) => mb(x.memory.instance)), col(p, (x) => mb(x.memory.instance))],
  ]);
}

export function resultsMarkdown(r) {
  const m = r.meta;
  const out = [];
  out.push('# Benchmark results', '');
  out.push(`Written by \`npm run bench${m.quick ? ' -- --quick' : ''}\` on ${m.date}. Every time below is wall time in milliseconds on CLOCK_MONOTONIC; every command was spawned and reaped by the same launcher (bench/lib/reaper.py).`, '');
  out.push('## Machine, versions, load', '');
  out.push(table(['', ''], [
    ['machine', `${m.cpu}, ${m.cores} cores, ${m.memGb} GB, Linux ${m.kernel}`],
    ['priority', m.priority],
    ['load', `load average ${m.loadBefore} before, ${m.loadAfter} after; ${m.loadNote}`],
    ['node', `${m.node} (${m.nodePath})`],
    ['taskdaemon', `${m.taskdaemon}${m.baseline ? `; baseline: ${m.baseline}` : ''}`],
    ['peers', `pm2 ${m.pm2}, npm daemon ${m.daemon}, ${m.ssd}`],
    ['NODE_EXTRA_CA_CERTS', m.extraCa],
    ['runs', r.startStop || r.cli || r.scale
      ? `${m.iterations} iterations (+${m.warmup} warm-up) of every start/stop contender, in turn; ${m.cliIterations} of every CLI command; scale N = ${m.scale}`
      : `only ${['control', 'supervise'].filter((k) => r[k]).join(' and ')} (--only)${r.supervise ? `: ${r.supervise.n} graceful restarts per contender` : ''}`],
  ]), '');
  const floorNow = median(r.cli?.wall?.['node -e 0'] ?? r.startStop?.floor?.start ?? []);
  const measured = targets(r);
  if (measured.length) out.push('## Targets (issues 10 and 12)', '', targetsTable(measured), '');
  if (Number.isFinite(floorNow)) out.push(`In this run \`node -e 0\` took ${f1(floorNow)} ms (the issue measured 52 ms on an idle machine of this kind): the load slows every process alike, so a millisecond figure here stands for roughly ${f2(52 / floorNow)}× as much on an idle machine; the ratios do not depend on it.`, '');
  const ss = r.startStop;
  if (ss) {
    out.push('## Start to ready', '');
    out.push('The start command\'s wall time, and when the app listened (the fixture writes a stamp). "Before the app\'s node starts" is what the supervisor spends before it execs the app: spawn → the app\'s `performance.timeOrigin`, less the same span of the bare app in the same iteration (node sets its time origin some way into its own boot). The app\'s own node from its time origin to listening shows what the supervisor adds inside the app\'s process (taskdaemon: its runtime). Ratios are medians of per-iteration ratios against the floor (`node -e 0`) plus the bare app\'s spawn → listening of the same iteration.', '');
    out.push(startTable(ss), '');
    out.push('## Stop', '');
    out.push('The stop command\'s wall time, and when the app exited (the prompt reaper reaped it). With orphans left to PID 1, which on this machine reaps only every 1–2 s, `start-stop-daemon --stop --retry` keeps seeing the zombie with `kill(pid, 0)` until then; `taskdaemon stop` waits on a pidfd, which becomes readable when the process exits.', '');
    out.push(stopTable(ss), '');
    out.push('## Memory', '');
    out.push('Read 200 ms after ready: VmRSS (`/proc/PID/status`) and private memory (Private_Clean + Private_Dirty from `/proc/PID/smaps_rollup`). Δ is the median of per-iteration differences from the bare app.', '');
    out.push(memoryTable(ss), '');
  }
  if (r.cli) out.push('## CLI commands', '', 'Each command\'s wall time, alternating with `node -e 0`; `status (running)` and `reload` talk to a running daemon. CPU is user + system time from wait4(2): under load it moves far less than wall time, so it shows a command\'s own cost more steadily.', '', cliTable(r.cli), '');
  if (r.control) out.push('## Control socket', '', 'The client runs in the bench\'s own node process, on the same 2 cores: these are upper bounds.', '', controlTable(r.control), '');
  if (r.scale) out.push('## Scale', '', scaleTable(r.scale), '');
  if (r.supervise) {
    out.push('## Supervision: zero-downtime restarts', '');
    out.push('One app (`fixture/drain-app.js`: answers with its pid, drains like an app must), 2 instances, under a bounded loopback load (one client making sequential requests, each on a new connection, and 8 keep-alive clients, back to back, in the bench\'s own process) while it is restarted gracefully again and again, each restart waiting for 50 more requests after the last. A request counts as failed when it was refused, reset, timed out or answered 5xx. Memory is VmRSS and private (Private_Clean + Private_Dirty) of the process that supervises the instances, read 200 ms after the start and again after the restarts.', '');
    out.push(superviseTable(r.supervise), '');
  }
  out.push('## How to read and rerun', '', 'See bench/README.md. `npm run bench` (full, writes this file), `npm run bench -- --quick` (a few iterations, prints only).', '');
  return out.join('\n');
}

/** A short summary for the README and the terminal. */
export function summaryMarkdown(r) {
  const ss = r.startStop;
  const lines = [];
  if (ss) {
    const floor = median(ss.floor.start);
    const rows = [['`node -e 0` (floor)', f1(floor)], ['bare app: spawn → listening', f1(median(ss.bare.ready))]];
    for (const k of ['taskdaemon', 'ssd', 'pm2Warm', 'pm2Cold', 'npmDaemon']) {
      if (ss[k]) rows.push([`${CONTENDER[k].replace(/ \/.*/, '')}: start`, `${f1(median(ss[k].start))}${k === 'npmDaemon' ? ` (the app listens at ${f1(median(ss[k].ready))})` : ''}`]);
    }
    const STOP = { taskdaemon: '`taskdaemon stop`', ssd: '`start-stop-daemon --stop --retry TERM/30/KILL/5`', 'ssd@pid1': '`start-stop-daemon --stop --retry …`, orphans reaped by PID 1', pm2Warm: '`pm2 stop`' };
    for (const k of Object.keys(STOP)) if (ss[k]?.stop) rows.push([`${STOP[k]}: stop`, f1(median(ss[k].stop))]);
    lines.push(table(['figure (median ms)', 'this run'], rows), '');
  }
  if (r.supervise) lines.push(superviseTable(r.supervise), '');
  lines.push(targetsTable(targets(r)));
  return lines.join('\n');
}
