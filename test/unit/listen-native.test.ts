// The native parts of supervision: tcpListen and unixListen's mode
// (native/control.cc), and spawnChild's deathSignal (native/child.cc): an
// instance whose supervisor is killed outright (SIGKILL) gets SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';
import { alive, waitFor } from '../helpers/proc';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { native } = require(path.join(ROOT, 'dist', 'native.js')) as typeof import('../../src/native');

// Serve one connection on a listening fd from native code, answer "hi" and give the address.
async function serveOnce(fd: number): Promise<{ server: net.Server; address: net.AddressInfo | string }> {
  const server = net.createServer((c) => c.end('hi'));
  server.listen({ fd });
  await once(server, 'listening');
  return { server, address: server.address()! };
}

function connectText(opts: net.NetConnectOpts): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(opts);
    let text = '';
    c.on('data', (d) => (text += d));
    c.on('end', () => resolve(text));
    c.on('error', reject);
  });
}

describe('tcpListen', () => {
  it('listens on a numeric IPv4 or IPv6 address; an IPv6 socket takes no IPv4 connection', async () => {
    const n = native();
    const v4 = n.tcpListen(4, '127.0.0.1', 0, 16) as number;
    expect(v4).toBeGreaterThan(2);
    const a = await serveOnce(v4);
    expect(await connectText({ host: '127.0.0.1', port: (a.address as net.AddressInfo).port })).toBe('hi');
    a.server.close();

    const v6 = n.tcpListen(6, '::', 0, 16) as number;
    const b = await serveOnce(v6);
    const port = (b.address as net.AddressInfo).port;
    expect(await connectText({ host: '::1', port })).toBe('hi');
    await expect(connectText({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    b.server.close();
  });

  it('returns { errno, syscall } for a name, a bad port, or an address in use', async () => {
    const n = native();
    expect(n.tcpListen(4, 'localhost', 80, 16)).toEqual({ errno: -22, syscall: 'inet_pton' });
    expect(n.tcpListen(4, '127.0.0.1', 65536, 16)).toEqual({ errno: -22, syscall: 'bind' });
    const fd = n.tcpListen(4, '127.0.0.1', 0, 16) as number;
    const { server, address } = await serveOnce(fd);
    expect(n.tcpListen(4, '127.0.0.1', (address as net.AddressInfo).port, 16)).toEqual({ errno: -os.constants.errno.EADDRINUSE, syscall: 'bind' });
    server.close();
  });
});

describe('unixListen', () => {
  it('gives the socket the mode asked for (0600 unless told)', () => {
    const n = native();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-unix-'));
    try {
      const a = n.unixListen(path.join(dir, 'a.sock'), 4) as number;
      const b = n.unixListen(path.join(dir, 'b.sock'), 4, 0o666) as number;
      expect(fs.statSync(path.join(dir, 'a.sock')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, 'b.sock')).mode & 0o777).toBe(0o666);
      fs.closeSync(a);
      fs.closeSync(b);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spawnChild deathSignal', () => {
  it('a child started with deathSignal SIGTERM gets it when its parent is killed with SIGKILL', async () => {
    // The parent: a node that starts `sleep` through the addon and says its pid.
    const script = `const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))});
      const fd = require('fs').openSync('/dev/null', 'r');
      const r = native().spawnChild({ file: '/bin/sleep', argv: ['sleep', '600'], envp: [], fds: [fd, fd, fd], deathSignal: 15 });
      process.stdout.write(r.pid + '\\n');
      setInterval(() => {}, 1e6);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const child = Number(line.toString().trim());
    expect(child).toBeGreaterThan(0);
    expect(alive(child)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !alive(child), 5_000, 'sleep to get its death signal');
  });
});
