// Optional HTTP health endpoint for load balancers and orchestrators:
// GET /health -> 200 or 503 with the health hook's JSON; GET /ready -> 200
// once ready, 503 while starting, reloading or stopping. Bound to 127.0.0.1
// unless told otherwise; it never keeps the daemon alive on its own.
import type { ControlSurface } from './control-surface';
import type { Logger } from './logger';

// Only the phase and the health hook: a supervisor serves it too (src/supervisor/).
export async function startHealthServer(life: Pick<ControlSurface, 'phase' | 'health'>, port: number, host: string, log: Logger): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('node:http') as typeof import('node:http');
  const server = http.createServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body) + '\n';
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/ready') return send(life.phase === 'ready' ? 200 : 503, { ready: life.phase === 'ready', phase: life.phase });
    if (url === '/health') {
      void life.health().then((h) => send(h.ok ? 200 : 503, { ...h, phase: life.phase }));
      return;
    }
    send(404, { error: 'not found', try: ['/health', '/ready'] });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  log.info('health-http', `http://${host}:${port}/health`);
}
