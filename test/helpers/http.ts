// One HTTP request to 127.0.0.1, on a connection of its own (no keep-alive):
// what the supervision tests ask of their instances (test/fixtures/served.js
// answers with its pid).
import * as http from 'node:http';

export function httpGet(port: number, path = '/', timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from port ${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The pid of the instance that answered. */
export async function pidAt(port: number): Promise<number> {
  const r = await httpGet(port);
  if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body}`);
  return (JSON.parse(r.body) as { pid: number }).pid;
}
