// Section: the control socket. Round trips of `ping` from one client (on one
// connection, and connect + ping + close as the CLI does), throughput with 16
// clients each keeping one request in flight, and reload: SIGHUP → the result
// reported over the socket. The client runs in this process, so every figure
// includes the client's own share of the 2 cores: an upper bound.
import net from 'node:net';
import { startDaemon } from './cli-startup.mjs';
import { monoMs } from './launcher.mjs';

/** A JSON-RPC connection with one request in flight at a time. */
class Client {
  static open(sockPath) {
    return new Promise((resolve, reject) => {
      const c = new Client(net.createConnection(sockPath));
      c.sock.once('connect', () => resolve(c));
      c.sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.pending = null;
    this.id = 0;
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const msg = JSON.parse(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
        const p = this.pending;
        this.pending = null;
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      }
    });
  }

  call(method, params = {}) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.sock.write(JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }) + '\n');
    });
  }

  close() {
    this.sock.destroy();
  }
}

async function pingLatencies(sockPath, n) {
  const c = await Client.open(sockPath);
  const out = [];
  try {
    for (let i = 0; i < 200; i++) await c.call('ping'); // warm both sides' code
    for (let i = 0; i < n; i++) {
      const t0 = monoMs();
      await c.call('ping');
      out.push(monoMs() - t0);
    }
  } finally {
    c.close();
  }
  return out;
}

async function oneShotLatencies(sockPath, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = monoMs();
    const c = await Client.open(sockPath);
    await c.call('ping');
    c.close();
    out.push(monoMs() - t0);
  }
  return out;
}

/** `clients` connections, each sending its next ping when the last one is answered, for `ms`. */
async function throughput(sockPath, clients, ms) {
  const conns = await Promise.all(Array.from({ length: clients }, () => Client.open(sockPath)));
  let done = 0;
  const latencies = [];
  const t0 = monoMs();
  const end = t0 + ms;
  await Promise.all(conns.map(async (c) => {
    while (monoMs() < end) {
      const s = monoMs();
      await c.call('ping');
      latencies.push(monoMs() - s);
      done++;
    }
  }));
  const elapsed = monoMs() - t0;
  for (const c of conns) c.close();
  return { perSecond: (done / elapsed) * 1000, latencies };
}

/** SIGHUP, then `awaitReload` on a connection already open: signal → result, as `taskdaemon reload` waits for it. */
async function reloadLatencies(sockPath, pid, n) {
  const c = await Client.open(sockPath);
  const out = [];
  try {
    let generation = (await c.call('status')).generation;
    for (let i = 0; i < n; i++) {
      const t0 = monoMs();
      process.kill(pid, 'SIGHUP');
      const r = await c.call('awaitReload', { after: generation, timeoutMs: 10_000 });
      out.push(monoMs() - t0);
      if (!r.ok) throw new Error(`reload rejected: ${r.error}`);
      generation = r.generation;
    }
  } finally {
    c.close();
  }
  return out;
}

export async function controlSection(ctx, log) {
  const d = await startDaemon(ctx, ctx.root, 'bench-rpc');
  const sockPath = d.pidfile.replace(/\.pid$/, '.sock');
  try {
    const q = ctx.opts.quick;
    log('control: ping, 1 client');
    const ping = await pingLatencies(sockPath, q ? 1000 : 10_000);
    const connectPing = await oneShotLatencies(sockPath, q ? 200 : 2000);
    log('control: 16 clients');
    const t16 = await throughput(sockPath, 16, q ? 1000 : 5000);
    log('control: reload');
    const reload = await reloadLatencies(sockPath, d.pid, q ? 20 : 200);
    return { ping, connectPing, perSecond16: t16.perSecond, latency16: t16.latencies, reload };
  } finally {
    await d.stop();
  }
}
