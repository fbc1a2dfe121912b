// Talking JSON-RPC to a daemon's control socket by hand, as a hostile or a
// careless client would: raw text in, reply lines out.
import * as net from 'node:net';
import { isStopped } from '../../src/proc-state';
import { waitFor } from './proc';

// Sends raw text on a connected client, collects reply lines until `expectLines` lines arrived or the server closed.
function exchange(c: net.Socket, text: string | Buffer, expectLines: number): Promise<{ lines: unknown[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const lines: unknown[] = [];
    const finish = (closed: boolean): void => {
      c.destroy();
      resolve({ lines, closed });
    };
    c.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        lines.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (lines.length >= expectLines) finish(false);
    });
    c.on('end', () => finish(true));
    c.on('error', reject);
    c.write(text);
  });
}

function connected(sock: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

// Sends raw text, collects reply lines until `expectLines` lines arrived or the server closed.
export async function raw(sock: string, text: string | Buffer, expectLines = 1): Promise<{ lines: unknown[]; closed: boolean }> {
  return exchange(await connected(sock), text, expectLines);
}

/**
 * `n` clients connect while the server `pid` cannot accept (SIGSTOP), so all
 * of them wait in the listen queue at once (node:net's connect fails with
 * EAGAIN on a full one); after SIGCONT each pings. The replies, in order.
 */
export async function burstWhileStopped(sock: string, pid: number, n: number): Promise<unknown[]> {
  process.kill(pid, 'SIGSTOP');
  const clients: net.Socket[] = [];
  try {
    await waitFor(() => isStopped(pid), 5_000, `pid ${pid} to stop`);
    const settled = await Promise.allSettled(Array.from({ length: n }, () => connected(sock).then((c) => (clients.push(c), c))));
    const refused = settled.filter((r) => r.status === 'rejected');
    if (refused.length) throw new Error(`${refused.length} of ${n} clients could not connect: ${String((refused[0] as PromiseRejectedResult).reason)}`);
  } catch (e) {
    for (const c of clients) c.destroy();
    throw e;
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const replies = await Promise.all(clients.map((c, i) => exchange(c, JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }) + '\n', 1)));
  return replies.map((r) => r.lines[0]);
}

export const call = async (sock: string, method: string, params?: object): Promise<{ result?: unknown; error?: { code: number; message: string } }> =>
  (await raw(sock, JSON.stringify({ jsonrpc: '2.0', id: 7, method, ...(params && { params }) }) + '\n')).lines[0] as never;

/** Lines no server should choke on, and the JSON-RPC error code (or 'ok', 'batch') each must get: 9 answers. */
export const GARBAGE = [
  'not json',
  '42',
  '{"jsonrpc":"1.0","id":1,"method":"ping"}',
  '{"jsonrpc":"2.0","id":2,"method":"nope"}',
  '{"jsonrpc":"2.0","id":3,"method":"awaitReload","params":{"after":-1}}',
  '{"jsonrpc":"2.0","id":4,"method":"ping","params":"x"}',
  '[]',
  '[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","method":"ping"}]',
  '{"jsonrpc":"2.0","method":"ping"}',
  '{"jsonrpc":"2.0","id":6,"method":"__proto__"}',
  '',
].join('\n') + '\n';
export const GARBAGE_CODES = [-32700, -32600, -32600, -32601, -32602, -32602, -32600, 'batch', -32601];

export function codesOf(lines: unknown[]): (number | string)[] {
  return lines.map((l) => (Array.isArray(l) ? 'batch' : ((l as { error?: { code: number } }).error?.code ?? 'ok')));
}

/**
 * `n` clients that go away mid-request 20 ms after connecting: every other one
 * sent half a request, the rest a reload whose answer nobody will read.
 */
export function vanishMidRequest(sock: string, n: number): Promise<void> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<void>((resolve) => {
        const c = net.createConnection(sock);
        c.on('error', () => resolve());
        c.on('connect', () => {
          c.write(i % 2 ? '{"jsonrpc":"2.0","id":1,"meth' : '{"jsonrpc":"2.0","id":1,"method":"reload"}\n');
          setTimeout(() => {
            c.destroy();
            resolve();
          }, 20);
        });
      }),
    ),
  ).then(() => undefined);
}
