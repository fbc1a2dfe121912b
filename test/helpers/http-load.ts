// A bounded loopback HTTP load, to tell whether a switch of instances loses
// a request: one client making sequential requests, each on a new connection
// (what a restart's accept-queue hand-over must carry), and N keep-alive
// clients, each reusing one connection back to back (what a draining
// instance must not reset). It runs until stopped; every request that was
// refused, reset, timed out or answered 5xx counts as failed, by its reason.
// bench/lib/http-load.mjs is the same load for the bench (which runs without TypeScript).
import * as http from 'node:http';

export interface LoadResult {
  requests: number;
  failed: number;
  /** Failures by reason: an errno code ("ECONNRESET"), "timeout" or "HTTP 5xx". */
  reasons: { [reason: string]: number };
  /** The pids that answered (test/fixtures/served.js answers with its pid). */
  pids: Set<number>;
}

export interface Load {
  /** Requests answered so far. */
  readonly requests: number;
  stop(): Promise<LoadResult>;
}

export function startLoad(port: number, keepAliveClients = 8, timeoutMs = 10_000): Load {
  const result: LoadResult = { requests: 0, failed: 0, reasons: {}, pids: new Set() };
  let running = true;
  const fail = (reason: string): void => {
    result.failed++;
    result.reasons[reason] = (result.reasons[reason] ?? 0) + 1;
  };
  const once = (agent: http.Agent | false): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: timeoutMs, ...(agent === false && { headers: { connection: 'close' } }) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          result.requests++;
          if ((res.statusCode ?? 0) >= 500) fail(`HTTP ${res.statusCode}`);
          else {
            const pid = Number(/"pid":(\d+)/.exec(body)?.[1]);
            if (pid) result.pids.add(pid);
          }
          resolve();
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          result.requests++;
          fail(e.code ?? e.message);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        result.requests++;
        fail(e.code ?? e.message);
        resolve();
      });
    });
  const loop = async (agent: http.Agent | false): Promise<void> => {
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
