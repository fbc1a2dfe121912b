// What `start` hands the native supervisor (src/supervisor/native-plan.ts):
// the boot marker (src/runtime/markers.ts) read from the fd that
// __TASKDAEMON_BOOT names, with the supervisor's plan in it: the options it
// acts on, already resolved, and how to exec one instance (file, argv, the
// instance's own boot marker). The variable is removed and the fd closed, as
// the runtime does, so no instance sees either.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskdaemon::sv {

struct ListenSocket {
  int fd;
  std::string name, spec;
};

struct Plan {
  int ready_fd = -1, lock_fd = -1, control_fd = -1;
  std::string pidfile, control_path;
  std::string name, entry, version, node;
  std::string restart;  // no | on-failure | always
  int64_t restart_delay_ms = 100, restart_delay_max_ms = 30000;
  std::optional<std::pair<int, int64_t>> restart_limit;  // burst, interval ms
  int instances = 1;
  std::vector<ListenSocket> listen;
  int64_t grace_ms = 0, ready_timeout_ms = 0;
  bool log_json = false;
  std::string log_level;
  std::string stdout_path, stderr_path;  // empty: none to reopen
  // One instance: execve's file and argv, its cwd, whether it is a program
  // without the runtime, and (Node) its boot marker, sent on a pipe at fd 4+L.
  std::string file, cwd;
  std::vector<std::string> argv;
  bool program = false;
  std::string instance_marker;
  // When a program instance is ready (--ready): exec, notify, tcp (host, port) or unix (path).
  std::string ready_kind = "exec", ready_host, ready_path;
  int ready_port = 0;
  // --health-port (0: none) on --health-host; --watch-config (empty: none).
  int health_port = 0;
  std::string health_host, watch_config;
  /** The options `start` resolved, as JSON text: `startOptions` answers them. */
  std::string options_json;
};

/** Reads and removes the marker; on failure, why (the caller says it and exits 2). */
std::optional<Plan> TakePlan(std::string& why);

}  // namespace taskdaemon::sv
