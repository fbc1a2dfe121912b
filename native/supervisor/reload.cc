// `reload NAME` of a supervised daemon, coalesced as the runtime's reloads
// are (src/runtime/reloads.ts): SIGHUP to every instance that is ready, then each
// one's result from its readiness pipe (RELOADED=N, RELOAD_ERROR= when
// rejected). Applied only if every instance applied it; otherwise it fails
// with each rejection. There is no rollback: a reload hook has no undo.
#include "supervisor.h"

namespace taskdaemon::sv {

void Reloads::Request(const std::string& source) {
  const std::string& p = sup_.phase;
  if (stopping_ || p == "stopping" || p == "stopped") {
    sup_.log.Info("reload-ignored", source + ": stopping");
    return;
  }
  if (p == "starting") {
    deferred_ = true;
    sup_.log.Info("reload-deferred", source + ": runs once the instances are ready");
    return;
  }
  if (running) {
    pending_ = true;
    return;
  }
  running = true;
  Once(source);
}

void Reloads::StartupDone() {
  if (deferred_) Request("SIGHUP during start");
  deferred_ = false;
}

void Reloads::Once(const std::string& source) {
  pending_ = false;
  const int gen = ++generation;
  if (sup_.phase == "ready") sup_.phase = "reloading";
  sup_.log.Info("reloading", "generation " + std::to_string(gen) + " (" + source + "): SIGHUP to every instance");
  sup_.ReloadInstances([this, gen](const std::string& error) {
    count++;
    last = ReloadResult{gen, error.empty(), error, WallMs()};
    if (error.empty()) sup_.log.Info("reloaded", "generation " + std::to_string(gen));
    else sup_.log.Error("reload-failed", "generation " + std::to_string(gen) + ": " + error);
    if (sup_.phase == "reloading") sup_.phase = "ready";
    if (pending_ && !stopping_) return Once("coalesced requests");
    running = false;
    Settle();
  });
}

void Reloads::Settle() {
  std::vector<Waiter> now;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (generation > it->after && !running) {
      now.push_back(*it);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& w : now) {
    sup_.loop.Cancel(w.timer);
    w.done(last ? &*last : nullptr);
  }
}

void Reloads::AwaitResult(int after, int64_t timeout_ms, std::function<void(const ReloadResult*)> done) {
  if (generation > after && !running) return done(last ? &*last : nullptr);
  uint64_t id = next_waiter_++;
  uint64_t timer = sup_.loop.After(timeout_ms, [this, id] {
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->id != id) continue;
      auto fn = it->done;
      waiters_.erase(it);
      return fn(nullptr);
    }
  });
  waiters_.push_back(Waiter{after, timer, std::move(done), id});
}

void Supervisor::ReloadInstances(std::function<void(const std::string&)> done) {
  if (phase == "failed") {
    std::string why = gave_up ? gave_up->reason : "restart limit";
    return loop.Defer([done, why] { done("no instance runs: the supervisor gave up (" + why + ")"); });
  }
  std::vector<InstancePtr> targets;
  for (auto& i : live) {
    if (i->state == "ready" || i->state == "reloading") targets.push_back(i);
  }
  if (targets.empty()) return loop.Defer([done] { done(""); });
  struct Tally {
    size_t left;
    std::vector<std::string> rejected;
  };
  auto tally = std::make_shared<Tally>(Tally{targets.size(), std::vector<std::string>(targets.size())});
  const size_t total = targets.size();
  for (size_t k = 0; k < total; k++) {
    InstancePtr i = targets[k];
    InstanceReload(i, plan.ready_timeout_ms, [tally, k, i, total, done](bool ok, const std::string& error) {
      if (!ok) tally->rejected[k] = "instance " + std::to_string(i->slot) + " (pid " + std::to_string(i->pid) + "): " + error;
      if (--tally->left > 0) return;
      std::string each;
      size_t n = 0;
      for (auto& r : tally->rejected) {
        if (r.empty()) continue;
        each += (each.empty() ? "" : "; ") + r;
        n++;
      }
      if (!n) return done("");
      done(total == 1 ? each : std::to_string(n) + " of " + std::to_string(total) + " instances rejected it: " + each);
    });
  }
}

}  // namespace taskdaemon::sv
