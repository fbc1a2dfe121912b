// The native supervisor (DESIGN.md §8): the daemonized process of a
// supervised start, in C++ so that its own memory is a few hundred KB, not a
// node's. It holds the pidfile lock, the control socket and the --listen
// sockets for its whole life, runs the program as N instances (each an
// `instance`: fork->exec by SpawnChildProcess, reaped on SIGCHLD), starts
// one that ended again after a backoff, until --restart-limit is passed:
// then it stops the others, closes the sockets and stays, holding the lock,
// in the 'failed' phase, so `status` can say why. HUP reloads every
// instance, TERM stops them all, `restart --graceful` replaces them one at a
// time. It never loads the program's modules.
// It replaced a Node supervisor of the same behaviour (removed after 39aa53b).
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include "backoff.h"
#include "end.h"
#include "log.h"
#include "loop.h"
#include "plan.h"
#include "records.h"
#include "../vendor/nlohmann/json_fwd.hpp"

namespace taskdaemon::sv {

/** Past SIGTERM and --grace, an instance gets this long before SIGKILL. */
constexpr int64_t kKillMarginMs = 5000;

struct Instance {
  int slot = 0;
  pid_t pid = 0;
  int64_t started_at = 0;  // epoch ms
  std::string state = "starting";  // starting ready reloading stopping exited
  int64_t ready_at = -1;
  std::optional<End> end;
  bool stop_requested = false;
  int generation = 0;
  struct Reload {
    int generation;
    bool ok;
    std::string error;
  };
  std::optional<Reload> last_reload;
  // Readiness: settled once, with an error when not ready.
  bool ready_settled = false, ready_ok = false;
  std::string ready_error;
  std::vector<std::function<void()>> ready_waiters, exit_waiters, change_waiters;
  int pipe_fd = -1;  // the readiness pipe (Node instances), -1 once closed
  bool pipe_closed = false;
  RecordParser parser;
  bool program = false;
  // A program's --ready notify: its own $NOTIFY_SOCKET in a private directory, and what it said.
  int notify_fd = -1;
  std::string notify_dir, notify_status;
  int notify_errno = -1;
  // --ready tcp/unix: the connection being tried, and the timers between tries.
  int probe_fd = -1;
  uint64_t probe_timer = 0;
  int64_t probe_pause_ms = 10;

  bool alive() const { return !end.has_value(); }
  int64_t UptimeMs() const;
};

using InstancePtr = std::shared_ptr<Instance>;

/** As src/errors.ts words a failed syscall: "ENOENT: no such file or directory, execve '/bin/x'". */
std::string SystemErrorText(const char* syscall, int err, const std::string& path);

/** "its last STATUS: ...; ERRNO=98 (EADDRINUSE: ...)": what a notify program said, or "". */
std::string NotifyNote(const Instance& inst);

struct Slot {
  int index = 0;
  InstancePtr current, next;
  int restarts = 0;
  Backoff backoff;
  uint64_t timer = 0;
  int64_t restart_at = -1;  // epoch ms
  std::optional<End> last_end;
  pid_t last_pid = 0;
};

struct GaveUp {
  std::string reason;
  int64_t at;
  int slot;
  pid_t pid;
  End end;
  int restarts;
};

struct ReloadResult {
  int generation;
  bool ok;
  std::string error;
  int64_t at;
};

class Supervisor;

// Reloads never overlap and a burst is coalesced (src/runtime/reloads.ts):
// a request while one runs asks for exactly one more afterwards. Requests
// during start-up run once ready; during shutdown they are ignored.
class Reloads {
 public:
  explicit Reloads(Supervisor& sup) : sup_(sup) {}
  int generation = 0, count = 0;
  std::optional<ReloadResult> last;
  bool running = false;
  void Request(const std::string& source);
  void StartupDone();
  void Stop() { stopping_ = true; }
  /** The result of the reloads after `after`, once none runs; nullptr after timeout_ms. */
  void AwaitResult(int after, int64_t timeout_ms, std::function<void(const ReloadResult*)> done);

 private:
  Supervisor& sup_;
  bool pending_ = false, deferred_ = false, stopping_ = false;
  struct Waiter {
    int after;
    uint64_t timer;
    std::function<void(const ReloadResult*)> done;
    uint64_t id;
  };
  std::vector<Waiter> waiters_;
  uint64_t next_waiter_ = 1;
  void Once(const std::string& source);
  void Settle();
};

class Supervisor {
 public:
  Supervisor(Plan plan, Loop& loop);
  Plan plan;
  Loop& loop;
  Log log;
  std::string phase = "starting";  // starting ready reloading stopping stopped failed
  int64_t started_at;
  std::vector<Slot> slots;
  std::optional<GaveUp> gave_up;
  Reloads reloads;
  bool replacing = false;
  std::vector<InstancePtr> live;  // not reaped yet
  int exit_code = -1;              // set when it finished

  void Start();
  /** On the way out: what instances still alive hold of the supervisor's (their notify sockets' directories). */
  void Leave();
  void OnSignal(int sig);
  void Shutdown(const std::string& reason);
  /** Calls back with the phase once start-up is over, or still 'starting' after timeout_ms. */
  void AwaitReady(int64_t timeout_ms, std::function<void()> done);
  /** Starts an instance for `slot`; throws std::runtime_error when fork or exec failed. */
  InstancePtr Spawn(Slot& slot, bool replacement);
  void AfterUnexpectedEnd(Slot& slot, const End& end, int64_t uptime_ms);
  /** SIGTERM, and SIGKILL after kill_after_ms; `done` gets its end. */
  void Terminate(const InstancePtr& inst, int64_t kill_after_ms, bool expected, std::function<void(const End&)> done);
  void Signal(const InstancePtr& inst, int sig);
  /** SIGHUP to every ready instance; `done` gets "" or each rejection. */
  void ReloadInstances(std::function<void(const std::string& error)> done);
  struct Replacement {
    int slot;
    pid_t old_pid;  // 0: there was none
    pid_t new_pid;
  };
  using Replaced = std::vector<Replacement>;
  /** restart --graceful; `done` gets what was replaced, or an error message. */
  void ReplaceInstances(std::function<void(const Replaced& replaced, const std::string& error)> done);
  /** `status` (report.cc). */
  nlohmann::ordered_json Report();
  nlohmann::ordered_json Health();
  /** SIGUSR1's log line: the supervisor part of the report. */
  std::string ReportLine();

 private:
  std::vector<std::function<void()>> ready_waiters_;
  void StartFailed(const std::string& message);
  void Finish(int code);
  void Reap();
  void OnEnded(const InstancePtr& inst);
  void RestartSlot(Slot& slot);
  void GiveUp(Slot& slot, const End& end, const Decision& d);
  void StopAll(const std::string& reason, std::function<void(bool ok)> done);
  void ReopenLogs();
  void ReadPipe(const InstancePtr& inst);
  void TakeRecord(const InstancePtr& inst, const Record& rec);
  void SettleReady(const InstancePtr& inst, bool ok, const std::string& error);
  void ClosePipe(const InstancePtr& inst);
  // A program instance's readiness (program-ready.cc): exec'd, READY=1 on its socket, or its address accepts.
  void OpenNotifySocket(const InstancePtr& inst);
  void AwaitProgramReady(const InstancePtr& inst);
  void ReadNotify(const InstancePtr& inst);
  void ProbeAddress(const InstancePtr& inst);
  void EndProbe(const InstancePtr& inst);
  void CloseNotify(const InstancePtr& inst);
  void ProgramReady(const InstancePtr& inst);
  // --health-port (health.cc) and --watch-config (watch.cc): started with the instances, on the same loop.
  std::string StartHealthServer();
  void WatchConfig();
  void InstanceReload(const InstancePtr& inst, int64_t timeout_ms, std::function<void(bool ok, const std::string& error)> done);
  void ReplaceFrom(size_t index, std::shared_ptr<Replaced> replaced, std::function<void(const Replaced&, const std::string&)> done);
  // The readiness pipe to `start`: READY=1 (or why not), then it closes.
  void TellStarter(const std::vector<std::pair<std::string, std::string>>& fields);
  bool told_ = false;
  std::vector<std::string> InstanceEnvironment() const;
};

}  // namespace taskdaemon::sv
