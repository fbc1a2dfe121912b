// A free TCP port on 127.0.0.1 (the kernel picks it; tests bind it right after).
import { once } from 'node:events';
import * as net from 'node:net';

export async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
