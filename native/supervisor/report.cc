// What `status` shows of a supervised daemon (read by the CLI as
// src/supervisor/report-types.ts): the report every daemon gives, and beside it each instance (pid, state,
// uptime, restarts, last end) and the supervisor's own memory, VmRSS and
// private. See: man 5 proc (/proc/self/status, /proc/self/smaps_rollup)
#include <unistd.h>
#include <fstream>
#include <sstream>
#include "supervisor.h"
#include "json.h"

namespace taskdaemon::sv {

// "Key:   1234 kB" lines of a /proc file, in bytes.
static uint64_t ProcKb(const std::string& text, const std::string& key) {
  size_t at = text.find("\n" + key + ":");
  if (at == std::string::npos && text.rfind(key + ":", 0) == 0) at = 0;
  else if (at == std::string::npos) return 0;
  else at += 1;
  return std::strtoull(text.c_str() + at + key.size() + 1, nullptr, 10) * 1024;
}

static std::string ReadProc(const char* path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

json Supervisor::Health() {
  json not_ready = json::array();
  for (auto& s : slots) {
    if (!s.current || (s.current->state != "ready" && s.current->state != "reloading")) not_ready.push_back(s.index);
  }
  bool ok = (phase == "ready" || phase == "reloading") && not_ready.empty();
  json detail = {{"instances", slots.size()}, {"notReady", not_ready}};
  if (gave_up) detail["gaveUp"] = gave_up->reason;
  return {{"ok", ok}, {"detail", detail}};
}

static json EndJson(const End& e) {
  return {{"code", e.code >= 0 ? json(e.code) : json(nullptr)}, {"signal", e.signal ? json(e.signal) : json(nullptr)}};
}

json Supervisor::Report() {
  const int64_t now = WallMs();
  const std::string status = ReadProc("/proc/self/status");
  const std::string rollup = ReadProc("/proc/self/smaps_rollup");
  const uint64_t rss = ProcKb(status, "VmRSS");
  const Log::Loss loss = log.Lost();
  json instances = json::array();
  for (auto& s : slots) {
    json last = nullptr;
    if (s.last_end) {
      last = EndJson(*s.last_end);
      last["pid"] = s.last_pid;
      last["at"] = IsoTime(s.last_end->at);
      last["how"] = DescribeEnd(*s.last_end);
    }
    instances.push_back({
        {"slot", s.index},
        {"pid", s.current ? json(s.current->pid) : json(nullptr)},
        {"state", s.current ? s.current->state : phase == "failed" ? "given up" : s.timer ? "restarting" : "exited"},
        {"uptimeMs", s.current ? json(now - s.current->started_at) : json(nullptr)},
        {"restarts", s.restarts},
        {"lastEnd", last},
        {"restartInMs", s.restart_at >= 0 ? json(std::max<int64_t>(0, s.restart_at - now)) : json(nullptr)},
        {"replacement", s.next ? json{{"pid", s.next->pid}, {"state", s.next->state}} : json(nullptr)},
    });
  }
  json listen = json::array();
  for (auto& l : plan.listen) listen.push_back({{"name", l.name}, {"spec", l.spec}});
  json gave = nullptr;
  if (gave_up) {
    gave = {{"reason", gave_up->reason}, {"at", IsoTime(gave_up->at)}, {"slot", gave_up->slot}, {"pid", gave_up->pid}, {"how", DescribeEnd(gave_up->end)}, {"restarts", gave_up->restarts}};
  }
  json last_reload = nullptr;
  if (reloads.last) {
    const ReloadResult& r = *reloads.last;
    last_reload = {{"generation", r.generation}, {"ok", r.ok}, {"error", r.ok ? json(nullptr) : json(r.error)}, {"at", IsoTime(r.at)}};
  }
  return {
      {"name", plan.name},
      {"version", plan.version},
      {"mode", "supervisor"},
      {"pid", getpid()},
      {"phase", phase},
      {"generation", reloads.generation},
      {"reloadCount", reloads.count},
      {"lastReload", last_reload},
      {"inFlight", 0},
      {"health", Health()},
      {"uptimeMs", now - started_at},
      // No JavaScript heap here; the loop never runs JavaScript, so it is never starved by it.
      {"memory", {{"rssBytes", rss}, {"heapUsedBytes", 0}, {"externalBytes", 0}}},
      {"eventLoop", {{"utilization", 0}, {"delayMs", 0}}},
      {"log", {{"bytes", loss.bytes}, {"writes", loss.writes}, {"lastError", loss.last_error.empty() ? json(nullptr) : json(loss.last_error)}}},
      {"node", plan.node},
      {"supervisor",
       {{"restart", plan.restart},
        {"instances", instances},
        {"listen", listen},
        {"gaveUp", gave},
        {"native", true},
        {"memory", {{"rssBytes", rss}, {"privateBytes", ProcKb(rollup, "Private_Clean") + ProcKb(rollup, "Private_Dirty")}}}}},
  };
}

std::string Supervisor::ReportLine() { return Report()["supervisor"].dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace taskdaemon::sv
