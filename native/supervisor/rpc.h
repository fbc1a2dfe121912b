// The supervisor's control socket (src/control/server/rpc-server.ts):
// newline-delimited JSON-RPC 2.0 on the socket `start` made and listens on.
// Bounded as the runtime's: a line may be 64 KiB, a client may idle 30 s
// (waiting for an answer is not idling), at most 256 clients at once;
// malformed input gets a JSON-RPC error, and nothing a client does can
// crash the supervisor. Answers go out in request order, one request at a
// time per client. Its methods: ping, version, status, health, startOptions,
// state, awaitReady, reload, awaitReload, shutdown, gracefulRestart.
// See: https://www.jsonrpc.org/specification, man 2 accept4
#pragma once
#include "supervisor.h"

namespace taskdaemon::sv {

void StartRpcServer(int fd, Supervisor& sup);

}  // namespace taskdaemon::sv
