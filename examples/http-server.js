// An HTTP server daemon: `init` binds the port (a bind failure fails
// `taskdaemon start` with its message), `shutdown` stops accepting and lets
// in-flight requests finish. Run it with:
//   taskdaemon start examples/http-server.js -- --port 8080
// or in the foreground (systemd Type=notify; serves a socket-activated fd if given):
//   taskdaemon run examples/http-server.js -- --port 8080
// In a container it must listen on every address: -- --port 8080 --host 0.0.0.0
'use strict';
const http = require('node:http');
const { once } = require('node:events');
const { defineDaemon } = require('taskdaemon');

// --host ADDR: where to listen (default 127.0.0.1, this machine only).
function hostFromArgs(args) {
  const i = args.indexOf('--host');
  return i >= 0 ? args[i + 1] : '127.0.0.1';
}

function portFromArgs(args) {
  const i = args.indexOf('--port');
  const raw = i >= 0 ? args[i + 1] : process.env.PORT || '8080';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port '${raw}'`);
  return port;
}

let server;
let requests = 0;

module.exports = defineDaemon({
  async init(ctx) {
    const port = portFromArgs(ctx.args);
    server = http.createServer((req, res) => {
      requests++;
      const body = JSON.stringify({ name: ctx.name, pid: process.pid, phase: ctx.phase, requests, url: req.url }) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    // Under systemd socket activation (`taskdaemon run` with a .socket unit) the
    // listening socket is already open: serve it instead of binding a port.
    const activated = ctx.listenFds[0];
    if (activated) server.listen({ fd: activated.fd });
    else server.listen(port, hostFromArgs(ctx.args));
    await once(server, 'listening'); // EADDRINUSE rejects here: start fails with it
    const { address, port: bound } = server.address();
    ctx.log.info('listening', activated ? `socket-activated fd ${activated.fd} (${activated.name})` : `http://${address.includes(':') ? `[${address}]` : address}:${bound}/`);
  },

  async shutdown(ctx) {
    ctx.log.info('draining', `${requests} request(s) served`);
    server.closeIdleConnections();
    await new Promise((resolve) => server.close(resolve));
  },
});
