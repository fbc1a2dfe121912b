// `restart NAME --graceful` (DESIGN.md §8): the instances are
// replaced one at a time. A new one is started from the entry on disk, and
// only once it is ready does one old instance get SIGTERM and drain within
// --grace. The sockets never close, so the kernel's accept queue carries new
// connections across the switch. If a new instance fails to become ready, it
// goes, the old ones keep serving, and the error is the new one's.
#include "supervisor.h"

namespace taskdaemon::sv {

void Supervisor::ReplaceInstances(std::function<void(const Replaced&, const std::string&)> done) {
  if (phase == "failed") return done({}, "the supervisor gave up (" + (gave_up ? gave_up->reason : "") + "); `taskdaemon restart " + plan.name + "` starts it again");
  if (phase != "ready" && phase != "reloading") return done({}, "cannot replace the instances while " + phase);
  if (replacing) return done({}, "a graceful restart is already in progress");
  replacing = true;
  log.Info("replacing", std::to_string(slots.size()) + " instance(s), one at a time");
  ReplaceFrom(0, std::make_shared<Replaced>(), [this, done](const Replaced& r, const std::string& e) {
    replacing = false;
    done(r, e);
  });
}

void Supervisor::ReplaceFrom(size_t index, std::shared_ptr<Replaced> replaced, std::function<void(const Replaced&, const std::string&)> done) {
  const size_t total = slots.size();
  if (index == total) {
    std::string words;
    for (auto& r : *replaced) {
      words += (words.empty() ? "" : ", ") + ("instance " + std::to_string(r.slot) + ": pid " + (r.old_pid ? std::to_string(r.old_pid) : std::string("-")) + " -> " + std::to_string(r.new_pid));
    }
    log.Info("replaced", words);
    return done(*replaced, "");
  }
  if (phase != "ready" && phase != "reloading") return done({}, phase + " after " + std::to_string(replaced->size()) + " of " + std::to_string(total) + " instance(s) were replaced");
  Slot& slot = slots[index];
  InstancePtr old = slot.current;
  // A restart that was due anyway: the replacement is it.
  loop.Cancel(slot.timer);
  slot.restart_at = -1;
  InstancePtr next;
  try {
    next = Spawn(slot, true);
  } catch (const std::exception& e) {
    return done({}, "the new instance " + std::to_string(slot.index) + " could not be started: " + e.what() + "; the old instances keep serving");
  }
  auto settled = std::make_shared<bool>(false);
  auto timer = std::make_shared<uint64_t>(0);
  auto on_ready = [this, index, replaced, done, old, next, settled, timer, total](bool ok, const std::string& error) {
    if (std::exchange(*settled, true)) return;
    loop.Cancel(*timer);
    Slot& slot = slots[index];
    if (!ok) {
      slot.next = nullptr;
      Terminate(next, kKillMarginMs, true, [](const End&) {});
      log.Error("replace-failed", "instance " + std::to_string(slot.index) + ": the new one (pid " + std::to_string(next->pid) + ") " + error + "; the old one(s) keep serving");
      // The old one ended meanwhile, waiting for this replacement: its end is handled now.
      if (!slot.current && slot.last_end && (phase == "ready" || phase == "reloading")) AfterUnexpectedEnd(slot, *slot.last_end, 0);
      std::string before = replaced->empty() ? "" : " (" + std::to_string(replaced->size()) + " of " + std::to_string(total) + " were replaced before it)";
      return done({}, "the new instance " + std::to_string(slot.index) + " (pid " + std::to_string(next->pid) + ") " + error + "; the old instances keep serving" + before);
    }
    slot.next = nullptr;
    slot.current = next;
    slot.backoff.Reset();
    Replacement entry{slot.index, old ? old->pid : 0, next->pid};
    if (old && old->alive()) {
      log.Info("instance-replaced", "instance " + std::to_string(slot.index) + ": pid " + std::to_string(next->pid) + " is ready; SIGTERM to pid " + std::to_string(old->pid) +
                                        ", which drains within " + FormatDuration(plan.grace_ms));
      Terminate(old, plan.grace_ms + kKillMarginMs, true, [this, index, replaced, done, entry](const End&) {
        replaced->push_back(entry);
        ReplaceFrom(index + 1, replaced, done);
      });
      return;
    }
    log.Info("instance-replaced", "instance " + std::to_string(slot.index) + ": pid " + std::to_string(next->pid) + " is ready");
    replaced->push_back(entry);
    ReplaceFrom(index + 1, replaced, done);
  };
  const int64_t within = plan.ready_timeout_ms;
  *timer = loop.After(within, [on_ready, within] { on_ready(false, "was not ready within " + FormatDuration(within)); });
  next->ready_waiters.push_back([on_ready, next] { on_ready(next->ready_ok, next->ready_error); });
}

}  // namespace taskdaemon::sv
