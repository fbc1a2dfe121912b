// A bounded loopback HTTP load, to tell whether a switch of instances loses
// a request: one client making sequential requests, each on a new connection
// (what a restart's accept-queue hand-over must carry), and N keep-alive
// clients, each reusing one connection back to back (what a draining
// instance must not reset). It runs until stopped; every request that was
// refused, reset, timed out or answered 5xx counts as failed, by its reason.
// One file for the bench (lib/supervise.mjs) and the tests
// (test/stress/zero-downtime.test.ts), which see it through http-load.d.cts.
'use strict';
const http = require('node:http');

function startLoad(port, keepAliveClients = 8, timeoutMs = 10_000) {
  const result = { requests: 0, failed: 0, reasons: {}, pids: new Set() };
  let running = true;
  const fail = (reason) => {
    result.failed++;
    result.reasons[reason] = (result.reasons[reason] ?? 0) + 1;
  };
  const once = (agent) =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: timeoutMs, ...(agent === false && { headers: { connection: 'close' } }) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          result.requests++;
          if (res.statusCode >= 500) fail(`HTTP ${res.statusCode}`);
          else {
            const pid = Number(/"pid":(\d+)/.exec(body)?.[1]);
            if (pid) result.pids.add(pid);
          }
          resolve();
        });
        res.on('error', (e) => {
          result.requests++;
          fail(e.code ?? e.message);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (e) => {
        result.requests++;
        fail(e.code ?? e.message);
        resolve();
      });
    });
  const loop = async (agent) => {
    while (running) await once(agent);
    if (agent) agent.destroy();
  };
  const loops = [loop(false), ...Array.from({ length: keepAliveClients }, () => loop(new http.Agent({ keepAlive: true, maxSockets: 1 })))];
  return {
    get requests() {
      return result.requests;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

module.exports = { startLoad };
