// Start-up, restarts, giving up and the stop of the native supervisor
// (supervisor.h). Instances: instance.cc; reloads: reload.cc; restart
// --graceful: graceful.cc; `status`: report.cc.
#include "supervisor.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace taskdaemon::sv {

static Level LevelOf(const std::string& s) {
  return s == "debug" ? Level::Debug : s == "warn" ? Level::Warn : s == "error" ? Level::Error : Level::Info;
}

Supervisor::Supervisor(Plan p, Loop& l)
    : plan(std::move(p)), loop(l), log(plan.log_json, LevelOf(plan.log_level)), started_at(WallMs()), reloads(*this) {
  for (int i = 0; i < plan.instances; i++) {
    Slot s{i + 1, nullptr, nullptr, 0, Backoff(plan.restart_delay_ms, plan.restart_delay_max_ms, plan.restart_limit), 0, -1, std::nullopt, 0};
    slots.push_back(std::move(s));
  }
}

void Supervisor::TellStarter(const std::vector<std::pair<std::string, std::string>>& fields) {
  if (plan.ready_fd < 0 || told_) return;
  told_ = true;
  SendRecord(plan.ready_fd, fields);  // EPIPE: the starter is gone, nobody to tell
  close(plan.ready_fd);
  plan.ready_fd = -1;
}

void Supervisor::Start() {
  std::string sockets;
  for (auto& l : plan.listen) sockets += (sockets.empty() ? "" : ", ") + l.name + "=" + l.spec;
  log.Info("supervising", plan.name + " " + plan.entry + ": " + std::to_string(plan.instances) + " instance(s), --restart " + plan.restart +
                              (sockets.empty() ? "" : ", listening on " + sockets) + " (native supervisor; instances run node " + plan.node + ")");
  if (plan.health_port) {
    std::string failure = StartHealthServer();
    if (!failure.empty()) return StartFailed("health server: " + failure);
  }
  auto left = std::make_shared<int>(static_cast<int>(slots.size()));
  auto failed = std::make_shared<bool>(false);
  for (auto& slot : slots) {
    InstancePtr inst;
    try {
      inst = Spawn(slot, false);
    } catch (const std::exception& e) {
      return StartFailed("instance " + std::to_string(slot.index) + " could not be started: " + e.what());
    }
    int index = slot.index;
    inst->ready_waiters.push_back([this, inst, index, left, failed] {
      if (*failed || phase != "starting") return;  // the first failure decided, or stopped meanwhile
      if (!inst->ready_ok) {
        *failed = true;
        return StartFailed(plan.instances > 1 ? "instance " + std::to_string(index) + ": " + inst->ready_error : inst->ready_error);
      }
      if (--*left > 0) return;
      phase = "ready";
      std::string which;
      for (auto& i : live) which += (which.empty() ? "" : ", ") + ("instance " + std::to_string(i->slot) + " pid " + std::to_string(i->pid));
      log.Info("ready", "pid " + std::to_string(getpid()) + ": " + which + " ready after " + std::to_string(WallMs() - started_at) + " ms");
      TellStarter({{"READY", "1"}, {"MAINPID", std::to_string(getpid())}});
      for (auto& wake : std::exchange(ready_waiters_, {})) wake();
      reloads.StartupDone();
      if (!plan.watch_config.empty()) WatchConfig();
    });
  }
}

// `start` fails with the instance's own message; nothing is left behind.
void Supervisor::StartFailed(const std::string& message) {
  log.Error("start-failed", message);
  TellStarter({{"ERROR", message}, {"MAINPID", std::to_string(getpid())}});
  phase = "stopping";
  StopAll("the start failed", [this](bool) {
    phase = "stopped";
    Finish(1);
  });
}

// A supervisor that ends before an instance did (a second SIGTERM: SIGKILL sent, not waited for).
void Supervisor::Leave() {
  for (auto& inst : live) CloseNotify(inst);
}

void Supervisor::Finish(int code) {
  if (exit_code >= 0) return;
  exit_code = code;
  for (auto& wake : std::exchange(ready_waiters_, {})) wake();
  loop.Quit();
}

void Supervisor::AwaitReady(int64_t timeout_ms, std::function<void()> done) {
  if (phase != "starting") return loop.Defer(std::move(done));
  auto fired = std::make_shared<bool>(false);
  auto timer = std::make_shared<uint64_t>(0);
  *timer = loop.After(timeout_ms, [fired, done] {
    if (std::exchange(*fired, true)) return;
    done();
  });
  ready_waiters_.push_back([this, fired, timer, done] {
    if (std::exchange(*fired, true)) return;
    loop.Cancel(*timer);
    done();
  });
}

void Supervisor::OnSignal(int sig) {
  switch (sig) {
    case SIGCHLD:
      return Reap();
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
      if (phase == "stopping" || phase == "stopped") {
        // A second one: the operator does not want to wait.
        log.Warn("forced-exit", SignalName(sig) + " during shutdown: SIGKILL to every instance");
        for (auto& inst : live) Signal(inst, SIGKILL);
        return Finish(128 + sig);
      }
      return Shutdown(SignalName(sig));
    case SIGHUP:
      return reloads.Request("SIGHUP");
    case SIGUSR1:
      return log.Info("status", ReportLine());
    case SIGUSR2:
      return ReopenLogs();
  }
}

// SIGCHLD: signals coalesce, so every instance not reaped yet is asked.
void Supervisor::Reap() {
  std::vector<std::pair<InstancePtr, End>> ended;
  for (auto it = live.begin(); it != live.end();) {
    int status;
    pid_t w;
    do w = waitpid((*it)->pid, &status, WNOHANG); while (w < 0 && errno == EINTR);
    if (w == 0) {
      ++it;
      continue;
    }
    // -ECHILD: someone else reaped it (never us); its status is lost.
    End e = w < 0 ? End{-1, 0, WallMs()} : EndOfWaitStatus(status, WallMs());
    ended.emplace_back(*it, e);
    it = live.erase(it);
  }
  for (auto& [inst, e] : ended) {
    inst->end = e;
    inst->state = "exited";
    std::string note;
    if (inst->notify_fd >= 0) {
      std::string said = NotifyNote(*inst);
      note = " (it sent no READY=1 to $NOTIFY_SOCKET" + (said.empty() ? "" : "; " + said) + ")";
    }
    CloseNotify(inst);
    EndProbe(inst);
    SettleReady(inst, false, DescribeEnd(e) + " before it was ready" + note);
    ClosePipe(inst);
    for (auto& wake : std::exchange(inst->change_waiters, {})) wake();
    // The supervisor's own bookkeeping (and its log line) first, then whoever waits for this end.
    OnEnded(inst);
    for (auto& wake : std::exchange(inst->exit_waiters, {})) wake();
  }
}

void Supervisor::OnEnded(const InstancePtr& inst) {
  Slot& slot = slots[inst->slot - 1];
  const End& end = *inst->end;
  std::string how = "instance " + std::to_string(slot.index) + " (pid " + std::to_string(inst->pid) + ") " + DescribeEnd(end) + " after " + FormatDuration(inst->UptimeMs());
  if (inst->stop_requested) log.Info("instance-exited", how);
  else log.Warn("instance-exited", how);
  if (slot.next == inst) return;     // a replacement that failed: restart --graceful reports it
  if (slot.current != inst) return;  // an old one, retired by restart --graceful
  slot.current = nullptr;
  slot.last_end = end;
  slot.last_pid = inst->pid;
  if (phase == "starting" || phase == "stopping" || phase == "stopped" || phase == "failed") return;
  if (inst->stop_requested || slot.next) return;  // asked for, or its replacement is on the way
  AfterUnexpectedEnd(slot, end, inst->UptimeMs());
}

// An instance ended on its own: start it again (--restart), give up (--restart-limit), or let it be.
void Supervisor::AfterUnexpectedEnd(Slot& slot, const End& end, int64_t uptime_ms) {
  if (plan.restart == "no" || (plan.restart == "on-failure" && !Failed(end))) {
    log.Info("not-restarting", "instance " + std::to_string(slot.index) + ": --restart " + plan.restart);
    for (auto& s : slots) {
      if (s.current || s.next || s.timer) return;
    }
    int code = ExitCodeOf(end);
    log.Info("stopped", "no instance left; exit " + std::to_string(code));
    phase = "stopped";
    return Finish(code);
  }
  Decision d = slot.backoff.Next(uptime_ms, WallMs());
  if (!d.restart) return GiveUp(slot, end, d);
  slot.restart_at = WallMs() + d.delay_ms;
  std::string limit;
  if (plan.restart_limit) {
    limit = " (restart " + std::to_string(d.count) + " of at most " + std::to_string(plan.restart_limit->first) + " within " + FormatDuration(plan.restart_limit->second) + ")";
  }
  log.Info("restart-scheduled", "instance " + std::to_string(slot.index) + " in " + FormatDuration(d.delay_ms) + limit);
  int index = slot.index;
  slot.timer = loop.After(d.delay_ms, [this, index] {
    Slot& s = slots[index - 1];
    s.timer = 0;
    s.restart_at = -1;
    RestartSlot(s);
  });
}

void Supervisor::RestartSlot(Slot& slot) {
  if (phase != "ready" && phase != "reloading") return;
  slot.restarts++;
  InstancePtr inst;
  try {
    inst = Spawn(slot, false);
  } catch (const std::exception& e) {
    log.Error("instance-failed", "instance " + std::to_string(slot.index) + " could not be started: " + e.what());
    return AfterUnexpectedEnd(slot, End{127, 0, WallMs()}, 0);
  }
  // Not ready in time: its end counts as a failure like any other.
  auto timer = std::make_shared<uint64_t>(0);
  *timer = loop.After(plan.ready_timeout_ms, [this, inst] {
    if (inst->state != "starting" || !inst->alive()) return;
    log.Error("instance-failed", "instance " + std::to_string(inst->slot) + " (pid " + std::to_string(inst->pid) + ") was not ready within " + FormatDuration(plan.ready_timeout_ms) + "; stopping it");
    Terminate(inst, kKillMarginMs, false, [](const End&) {});
  });
  inst->ready_waiters.push_back([this, inst, timer] {
    loop.Cancel(*timer);
    if (inst->ready_ok) log.Info("instance-ready", "instance " + std::to_string(inst->slot) + " pid " + std::to_string(inst->pid));
    else if (!inst->stop_requested) log.Error("instance-failed", "instance " + std::to_string(inst->slot) + " (pid " + std::to_string(inst->pid) + "): " + inst->ready_error);
  });
}

// Past --restart-limit: a program that cannot stay up is not served in part.
void Supervisor::GiveUp(Slot& slot, const End& end, const Decision& d) {
  auto [burst, interval] = *plan.restart_limit;
  pid_t pid = slot.last_end ? slot.last_pid : 0;
  std::string reason = "instance " + std::to_string(slot.index) + " (pid " + std::to_string(pid) + ") " + DescribeEnd(end) + ", after " + std::to_string(d.count) +
                       " restarts within " + FormatDuration(d.interval_ms) + " (--restart-limit " + std::to_string(burst) + "/" + FormatDuration(interval) + ")";
  log.Error("gave-up", reason + "; stopping the other instances and closing the sockets; `taskdaemon restart " + plan.name + "` starts it again");
  phase = "failed";
  gave_up = GaveUp{reason, WallMs(), slot.index, pid, end, slot.restarts};
  reloads.Stop();
  StopAll("the supervisor gave up", [this](bool) {
    // Connections are refused from now on instead of waiting in a queue nobody reads.
    for (auto& l : plan.listen) {
      if (l.fd >= 0) close(l.fd);
      l.fd = -1;
    }
  });
}

void Supervisor::Shutdown(const std::string& reason) {
  if (phase == "stopping" || phase == "stopped") return;
  std::string before = phase;
  phase = "stopping";
  log.Info("stopping", reason);
  if (before == "starting") TellStarter({{"ERROR", "stopped by " + reason + " before it was ready"}, {"MAINPID", std::to_string(getpid())}});
  reloads.Stop();
  StopAll(reason, [this, before](bool ok) {
    // A supervisor that had given up ends as a failure.
    int code = before == "failed" || !ok ? 1 : 0;
    phase = "stopped";
    log.Info("stopped", "exit " + std::to_string(code));
    Finish(code);
  });
}

// SIGTERM to every instance, SIGKILL to those still there after --grace and a margin; ok when all ended well.
void Supervisor::StopAll(const std::string& reason, std::function<void(bool ok)> done) {
  for (auto& slot : slots) {
    loop.Cancel(slot.timer);
    slot.restart_at = -1;
  }
  std::vector<InstancePtr> running = live;
  if (running.empty()) return loop.Defer([done] { done(true); });
  std::string pids;
  for (auto& i : running) pids += (pids.empty() ? "" : ", ") + ("pid " + std::to_string(i->pid));
  log.Info("stopping-instances", reason + ": SIGTERM to " + pids);
  auto left = std::make_shared<size_t>(running.size());
  auto ok = std::make_shared<bool>(true);
  for (auto& inst : running) {
    Terminate(inst, plan.grace_ms + kKillMarginMs, true, [left, ok, done](const End& e) {
      if (Failed(e) && e.signal != SIGTERM) *ok = false;
      if (--*left == 0) done(*ok);
    });
  }
}

// SIGUSR2: the log files again (logrotate's `create`), as the runtime does, then every instance's.
void Supervisor::ReopenLogs() {
  std::vector<std::pair<std::string, std::vector<int>>> targets;
  if (!plan.stdout_path.empty() && plan.stdout_path == plan.stderr_path) targets.push_back({plan.stdout_path, {1, 2}});
  else {
    if (!plan.stdout_path.empty()) targets.push_back({plan.stdout_path, {1}});
    if (!plan.stderr_path.empty()) targets.push_back({plan.stderr_path, {2}});
  }
  for (auto& [file, fds] : targets) {
    // As src/logfile.ts opens a log: never through a symlink, only a regular file with one link (or a device).
    int fd = open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
    std::string problem;
    struct stat st;
    if (fd < 0) problem = strerror(errno);
    else if (fstat(fd, &st) != 0) problem = strerror(errno);
    else if (S_ISREG(st.st_mode) ? st.st_nlink > 1 : !S_ISCHR(st.st_mode)) problem = S_ISREG(st.st_mode) ? "it has more than one hard link" : "it is not a regular file";
    if (!problem.empty()) {
      if (fd >= 0) close(fd);
      log.Warn("log-reopen-failed", file + ": " + problem + "; still writing to the old file");
      continue;
    }
    std::string failure;
    for (int target : fds) {
      if (dup2(fd, target) < 0) {
        failure = "fd " + std::to_string(target) + " keeps the old file: " + strerror(errno);
        break;
      }
    }
    close(fd);
    if (!failure.empty()) log.Warn("log-reopen-failed", file + ": " + failure);
    else log.Info("log-reopened", file);
  }
  for (auto& inst : live) Signal(inst, SIGUSR2);
}

}  // namespace taskdaemon::sv
