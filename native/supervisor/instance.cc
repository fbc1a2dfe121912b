// One app instance (DESIGN.md §8): `node -- boot.js ENTRY` (or
// a program that is not Node, exec'd itself) started by SpawnChildProcess
// with exactly these fds: 0-2 the supervisor's own (/dev/null and the log),
// the --listen sockets from fd 3 (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID),
// then (Node) its readiness pipe and its boot marker. It dies with the
// supervisor (PR_SET_PDEATHSIG: SIGTERM, so it still drains). The readiness
// pipe stays open after READY=1 and carries reload results and STOPPING. It
// is reaped by the supervisor, so its pid cannot be reused while we signal it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include "../child-spawn.h"
#include "../pipe-with.h"
#include "supervisor.h"

extern char** environ;

namespace taskdaemon::sv {

static const char kBootEnv[] = "__TASKDAEMON_BOOT=";

int64_t Instance::UptimeMs() const { return (end ? end->at : WallMs()) - started_at; }

// The supervisor's environment (the daemon's, made by `start`) and the sockets.
std::vector<std::string> Supervisor::InstanceEnvironment() const {
  std::vector<std::string> env;
  for (char** e = environ; *e; e++) {
    std::string s = *e;
    if (s.rfind(kBootEnv, 0) == 0 || s.rfind("LISTEN_FDS=", 0) == 0 || s.rfind("LISTEN_FDNAMES=", 0) == 0 || s.rfind("LISTEN_PID=", 0) == 0) continue;
    env.push_back(s);
  }
  if (!plan.listen.empty()) {
    std::string names;
    for (auto& l : plan.listen) names += (names.empty() ? "" : ":") + l.name;
    env.push_back("LISTEN_FDS=" + std::to_string(plan.listen.size()));
    env.push_back("LISTEN_FDNAMES=" + names);
    env.push_back("LISTEN_PID=");  // SpawnChildProcess writes the child's own pid here
  }
  return env;
}

std::string SystemErrorText(const char* syscall, int err, const std::string& path) {
  return ErrnoText(err) + ", " + syscall + (path.empty() ? "" : " '" + path + "'");
}

InstancePtr Supervisor::Spawn(Slot& slot, bool replacement) {
  auto inst = std::make_shared<Instance>();
  inst->slot = slot.index;
  inst->program = plan.program;
  ChildRequest req;
  req.file = plan.file;
  req.argv = plan.argv;
  req.cwd = plan.cwd;
  req.envp = InstanceEnvironment();
  req.listen_pid = !plan.listen.empty();
  req.death_signal = SIGTERM;
  req.fds = {0, 1, 2};
  for (auto& l : plan.listen) req.fds.push_back(l.fd);
  int pipe_fds[2] = {-1, -1};
  int marker = -1;
  if (plan.program && plan.ready_kind == "notify") {
    OpenNotifySocket(inst);
    req.envp.push_back("NOTIFY_SOCKET=" + inst->notify_dir + "/notify");
  }
  if (!plan.program) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(SystemErrorText("pipe", errno, ""));
    marker = PipeWithText(plan.instance_marker);
    if (marker < 0) {
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      throw std::runtime_error(SystemErrorText("pipe", -marker, ""));
    }
    const int ready_fd = 3 + static_cast<int>(plan.listen.size());
    req.fds.push_back(pipe_fds[1]);
    req.fds.push_back(marker);
    req.envp.push_back(std::string(kBootEnv) + std::to_string(ready_fd + 1));
  }
  ChildStart r = SpawnChildProcess(req);
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  if (marker >= 0) close(marker);
  if (r.pid < 0) {
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    CloseNotify(inst);
    std::string syscall = r.syscall;
    throw std::runtime_error(SystemErrorText(r.syscall, r.err, syscall == "execve" ? plan.file : syscall == "chdir" ? plan.cwd : ""));
  }
  inst->pid = r.pid;
  inst->started_at = WallMs();
  live.push_back(inst);
  if (replacement) slot.next = inst;
  else slot.current = inst;
  std::string note = replacement ? " (replacement)" : slot.restarts ? " (restart " + std::to_string(slot.restarts) + ")" : "";
  log.Info("instance-started", "instance " + std::to_string(slot.index) + " pid " + std::to_string(inst->pid) + note);
  if (plan.program) {
    AwaitProgramReady(inst);
    return inst;
  }
  inst->pipe_fd = pipe_fds[0];
  fcntl(inst->pipe_fd, F_SETFL, fcntl(inst->pipe_fd, F_GETFL) | O_NONBLOCK);
  std::weak_ptr<Instance> weak = inst;
  loop.Watch(inst->pipe_fd, POLLIN, [this, weak](short) {
    if (auto i = weak.lock()) ReadPipe(i);
  });
  return inst;
}

void Supervisor::ReadPipe(const InstancePtr& inst) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(inst->pipe_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) return ClosePipe(inst);
    for (auto& rec : inst->parser.Feed(std::string(buf, static_cast<size_t>(n)))) TakeRecord(inst, rec);
    if (inst->pipe_fd < 0) return;
  }
}

void Supervisor::SettleReady(const InstancePtr& inst, bool ok, const std::string& error) {
  if (inst->ready_settled) return;
  inst->ready_settled = true;
  inst->ready_ok = ok;
  inst->ready_error = error;
  for (auto& wake : std::exchange(inst->ready_waiters, {})) wake();
}

void Supervisor::TakeRecord(const InstancePtr& inst, const Record& rec) {
  auto has = [&](const char* k) { return rec.count(k) > 0; };
  if (inst->state == "starting") {
    if (has("READY") && rec.at("READY") == "1") {
      inst->state = "ready";
      inst->ready_at = WallMs();
      SettleReady(inst, true, "");
    } else if (has("ERROR")) {
      SettleReady(inst, false, rec.at("ERROR"));
    } else if (has("EXIT")) {
      SettleReady(inst, false, "exited with code " + rec.at("EXIT") + " before it was ready");
    }
    return;
  }
  if (has("RELOADING")) {
    inst->generation = std::max(inst->generation, atoi(rec.count("GENERATION") ? rec.at("GENERATION").c_str() : "0"));
    if (inst->state == "ready") inst->state = "reloading";
  } else if (has("RELOADED")) {
    int generation = atoi(rec.at("RELOADED").c_str());
    inst->generation = std::max(inst->generation, generation);
    bool ok = !has("RELOAD_ERROR");
    inst->last_reload = Instance::Reload{generation, ok, ok ? "" : rec.at("RELOAD_ERROR")};
    if (inst->state == "reloading") inst->state = "ready";
    log.Debug("instance-reloaded", "instance " + std::to_string(inst->slot) + " pid " + std::to_string(inst->pid) + " generation " + rec.at("RELOADED") + ": " +
                                       (ok ? "applied" : "rejected: " + rec.at("RELOAD_ERROR")));
    for (auto& wake : std::exchange(inst->change_waiters, {})) wake();
  } else if (has("STOPPING")) {
    inst->state = "stopping";
  }
}

void Supervisor::ClosePipe(const InstancePtr& inst) {
  if (inst->pipe_fd < 0) return;
  loop.Unwatch(inst->pipe_fd);
  close(inst->pipe_fd);
  inst->pipe_fd = -1;
  inst->pipe_closed = true;
  if (inst->state == "starting") SettleReady(inst, false, "closed its readiness pipe before it was ready");
  for (auto& wake : std::exchange(inst->change_waiters, {})) wake();
}

// kill(2) of our own unreaped child: its pid cannot have been reused.
void Supervisor::Signal(const InstancePtr& inst, int sig) {
  if (inst->alive()) kill(inst->pid, sig);
}

void Supervisor::Terminate(const InstancePtr& inst, int64_t kill_after_ms, bool expected, std::function<void(const End&)> done) {
  if (expected) inst->stop_requested = true;
  if (!inst->alive()) {
    End e = *inst->end;
    return loop.Defer([done, e] { done(e); });
  }
  Signal(inst, SIGTERM);
  auto timer = std::make_shared<uint64_t>(loop.After(kill_after_ms, [this, inst] { Signal(inst, SIGKILL); }));
  inst->exit_waiters.push_back([this, inst, timer, done] {
    loop.Cancel(*timer);
    done(*inst->end);
  });
}

// SIGHUP, then the result of the reload it caused (or why there is none) within timeout_ms.
void Supervisor::InstanceReload(const InstancePtr& inst, int64_t timeout_ms, std::function<void(bool, const std::string&)> done) {
  // A program reports nothing: the signal was delivered, which is all that can be known.
  if (inst->program) {
    bool delivered = inst->alive();
    Signal(inst, SIGHUP);
    std::string error = delivered ? "" : DescribeEnd(*inst->end) + " before its reload";
    return loop.Defer([done, delivered, error] { done(delivered, error); });
  }
  const int before = inst->generation;
  auto settled = std::make_shared<bool>(false);
  auto timer = std::make_shared<uint64_t>(0);
  auto finish = [this, settled, timer, done](bool ok, const std::string& error) {
    if (std::exchange(*settled, true)) return;
    loop.Cancel(*timer);
    done(ok, error);
  };
  *timer = loop.After(timeout_ms, [finish, timeout_ms] { finish(false, "no reload result within " + std::to_string(timeout_ms) + " ms"); });
  // Called now and on every change of the instance until settled. It holds itself weakly
  // (a strong self-reference would keep it, and the instance, alive for ever); the waiter
  // list holds it while it waits.
  auto wake = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> self = wake;
  *wake = [this, inst, before, finish, settled, self] {
    if (*settled) return;
    if (inst->last_reload && inst->last_reload->generation > before && inst->state != "reloading") return finish(inst->last_reload->ok, inst->last_reload->error);
    if (!inst->alive()) return finish(false, DescribeEnd(*inst->end) + " before it reported its reload");
    if (inst->pipe_closed) return finish(false, "closed its readiness pipe; its reload result is unknown");
    if (auto again = self.lock()) inst->change_waiters.push_back([again] { (*again)(); });
  };
  Signal(inst, SIGHUP);
  (*wake)();
}

}  // namespace taskdaemon::sv
