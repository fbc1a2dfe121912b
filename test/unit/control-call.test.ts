// The client side of the control socket (src/control/client/rpc-client.ts on
// native/control-call.cc) against real unix-socket servers that answer well,
// badly or not at all: every outcome is a clear error with its code, nothing
// hangs, and calls to daemons that do not answer all wait at once.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REPLY, rpcCall, RpcCallError } from '../../src/control/client/rpc-client';
import { waitFor } from '../helpers/proc';

const servers: net.Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.close();
    (s as net.Server & { sockets?: Set<net.Socket> }).sockets?.forEach((c) => c.destroy());
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'td-rpc-'));
  dirs.push(d);
  return d;
}

/** A server at a fresh path; `onLine` gets each request line and the connection. */
async function serve(onConnection: (c: net.Socket, firstLine: Promise<string>) => void, at?: string): Promise<{ path: string; accepted: () => number }> {
  const p = at ?? path.join(tempDir(), 'control.sock');
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((c) => {
    accepted++;
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => {});
    const line = new Promise<string>((resolve) => {
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
      });
    });
    onConnection(c, line);
  });
  (server as net.Server & { sockets?: Set<net.Socket> }).sockets = sockets;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(p, resolve));
  return { path: p, accepted: () => accepted };
}

const answer = (reply: string) => (c: net.Socket, line: Promise<string>) => void line.then(() => c.end(reply));

describe('control socket client', () => {
  it('sends one JSON-RPC request line and returns the result of the first reply line', async () => {
    let got = '';
    const s = await serve((c, line) =>
      void line.then((l) => {
        got = l;
        c.end('{"jsonrpc":"2.0","id":1,"result":{"pid":42}}\n{"ignored":true}\n');
      }),
    );
    expect(await rpcCall(s.path, 'status', { verbose: true })).toEqual({ pid: 42 });
    expect(JSON.parse(got)).toEqual({ jsonrpc: '2.0', id: 1, method: 'status', params: { verbose: true } });
  });

  it('a reply in many small pieces is put together', async () => {
    const reply = '{"jsonrpc":"2.0","id":1,"result":"' + 'x'.repeat(200_000) + '"}\n';
    const s = await serve((c, line) =>
      void line.then(async () => {
        for (let i = 0; i < reply.length; i += 7000) {
          c.write(reply.slice(i, i + 7000));
          await new Promise((r) => setImmediate(r));
        }
        c.end();
      }),
    );
    expect(await rpcCall(s.path, 'status')).toBe('x'.repeat(200_000));
  });

  it('an error reply is an RpcCallError with its code; garbage and malformed replies are ERR_CONTROL_REPLY', async () => {
    const e = await serve(answer('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}}\n'));
    const err = await rpcCall(e.path, 'nope').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(RpcCallError);
    expect(err).toMatchObject({ rpcCode: -32601, message: 'no such method' });
    for (const [reply, why] of [
      ['hello\n', 'something that is not JSON'],
      ['[1]\n', 'JSON that is not a JSON-RPC response'],
      ['{"error":{"code":1}}\n', 'a malformed error'],
      ['{"id":1}\n', 'a response without a result'],
    ] as const) {
      const s = await serve(answer(reply));
      await expect(rpcCall(s.path, 'status')).rejects.toMatchObject({ code: 'ERR_CONTROL_REPLY', message: expect.stringContaining(why) as unknown });
    }
  });

  it('a server that closes before or in the middle of its answer: ERR_CONTROL_CLOSED, saying which', async () => {
    const before = await serve((c, line) => void line.then(() => c.end()));
    await expect(rpcCall(before.path, 'status')).rejects.toMatchObject({ code: 'ERR_CONTROL_CLOSED', message: expect.stringContaining('before answering') as unknown });
    const middle = await serve(answer('{"jsonrpc":"2.0",'));
    await expect(rpcCall(middle.path, 'status')).rejects.toMatchObject({ code: 'ERR_CONTROL_CLOSED', message: expect.stringContaining('in the middle of its answer') as unknown });
  });

  it('a flood without a line end is refused past MAX_REPLY', async () => {
    const s = await serve((c, line) => void line.then(() => c.write('x'.repeat(MAX_REPLY + 70_000))));
    await expect(rpcCall(s.path, 'status')).rejects.toMatchObject({ code: 'ERR_CONTROL_REPLY', message: expect.stringContaining('without a line end') as unknown });
  });

  it('no socket, or a socket nobody listens on: the system error with code and syscall', async () => {
    const dir = tempDir();
    await expect(rpcCall(path.join(dir, 'none.sock'), 'status')).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    // A socket file left by a process that died: nobody listens.
    const s = await serve(() => {});
    const stale = path.join(dir, 'stale.sock');
    fs.linkSync(s.path, stale);
    servers.pop()!.close();
    await waitFor(() => !fs.existsSync(s.path), 5_000, 'the server to close');
    await expect(rpcCall(stale, 'status')).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
  });

  it('reaches a socket whose path is longer than sun_path (108 bytes)', async () => {
    let dir = tempDir();
    while (dir.length < 120) dir = path.join(dir, 'a-rather-long-directory-name');
    fs.mkdirSync(dir, { recursive: true });
    const long = path.join(dir, 'control.sock');
    // node binds it through the directory, as the daemon does (control.cc).
    const dirFd = fs.openSync(dir, 'r');
    const s = await serve(answer('{"jsonrpc":"2.0","id":1,"result":"far"}\n'), `/proc/self/fd/${dirFd}/control.sock`);
    fs.closeSync(dirFd);
    expect(Buffer.byteLength(long)).toBeGreaterThan(107);
    expect(fs.existsSync(long)).toBe(true);
    expect(s.accepted()).toBe(0);
    expect(await rpcCall(long, 'status')).toBe('far');
  });

  it('a timeout past what a timer or poll(2) can hold still waits for the answer', async () => {
    const s = await serve((c, line) => void line.then(() => setTimeout(() => c.end('{"jsonrpc":"2.0","id":1,"result":"late"}\n'), 50)));
    expect(await rpcCall(s.path, 'status', {}, 2 ** 31 - 1 + 5_000)).toBe('late');
    expect(await rpcCall(s.path, 'status', {}, Infinity)).toBe('late');
  });

  it('daemons that do not answer time out with ERR_CONTROL_TIMEOUT, all of them waiting at once', async () => {
    const silent = await Promise.all(Array.from({ length: 8 }, () => serve(() => {})));
    let settled = 0;
    const calls = silent.map((s) =>
      rpcCall(s.path, 'status', {}, 5_000).then(
        () => 'answered',
        (e: NodeJS.ErrnoException) => e.code,
      ).finally(() => settled++),
    );
    // Eight connections open while none has ended: no call waits for another's timeout.
    await waitFor(() => silent.every((s) => s.accepted() === 1), 4_000, 'all eight servers to be connected to');
    expect(settled).toBe(0);
    expect(await Promise.all(calls)).toEqual(Array(8).fill('ERR_CONTROL_TIMEOUT'));
  });
});
