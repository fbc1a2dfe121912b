#include "plan.h"
#include "../vendor/nlohmann/json.hpp"
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace taskdaemon::sv {

static const char kBootEnv[] = "__TASKDAEMON_BOOT";

static bool ReadAll(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::optional<Plan> TakePlan(std::string& why) {
  const char* raw = getenv(kBootEnv);
  if (!raw) {
    why = "not started by taskdaemon (no marker); use `taskdaemon start --restart ...`";
    return std::nullopt;
  }
  std::string var = raw;
  unsetenv(kBootEnv);
  char* end = nullptr;
  long fd = strtol(var.c_str(), &end, 10);
  if (var.empty() || *end || fd < 0 || fd > 1 << 20) {
    why = std::string(kBootEnv) + "=" + var + ": not an fd number";
    return std::nullopt;
  }
  std::string text;
  bool ok = ReadAll(static_cast<int>(fd), text);
  int err = errno;
  close(static_cast<int>(fd));
  if (!ok) {
    why = "unreadable marker on fd " + var + ": " + strerror(err);
    return std::nullopt;
  }
  nlohmann::json m = nlohmann::json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object()) {
    why = "unreadable marker on fd " + var + ": not JSON";
    return std::nullopt;
  }
  if (m.value("v", 0) != 2) {
    why = "marker version " + m.value("v", nlohmann::json(nullptr)).dump() + ": the CLI and this supervisor are different taskdaemon versions";
    return std::nullopt;
  }
  if (!m.contains("supervisor") || !m["supervisor"].is_object()) {
    why = "started without supervision options";
    return std::nullopt;
  }
  try {
    Plan p;
    p.ready_fd = m.at("readyFd").get<int>();
    p.lock_fd = m.at("lockFd").get<int>();
    p.control_fd = m.at("controlFd").get<int>();
    p.options_json = m.at("options").dump();
    const nlohmann::json& s = m.at("supervisor");
    if (s.at("pidfile").is_string()) p.pidfile = s["pidfile"].get<std::string>();
    if (s.at("controlPath").is_string()) p.control_path = s["controlPath"].get<std::string>();
    p.name = s.at("name").get<std::string>();
    p.entry = s.at("entry").get<std::string>();
    p.version = s.at("version").get<std::string>();
    p.node = s.at("node").get<std::string>();
    p.restart = s.at("restart").get<std::string>();
    p.restart_delay_ms = s.at("restartDelayMs").get<int64_t>();
    p.restart_delay_max_ms = s.at("restartDelayMaxMs").get<int64_t>();
    if (s.at("restartLimit").is_object()) p.restart_limit = std::make_pair(s["restartLimit"].at("burst").get<int>(), s["restartLimit"].at("intervalMs").get<int64_t>());
    p.instances = s.at("instances").get<int>();
    for (auto& l : s.at("listen")) p.listen.push_back({l.at("fd").get<int>(), l.at("name").get<std::string>(), l.at("spec").get<std::string>()});
    p.grace_ms = s.at("graceMs").get<int64_t>();
    p.ready_timeout_ms = s.at("readyTimeoutMs").get<int64_t>();
    p.log_json = s.at("logFormat").get<std::string>() == "json";
    p.log_level = s.at("logLevel").get<std::string>();
    if (s.at("stdout").is_string()) p.stdout_path = s["stdout"].get<std::string>();
    if (s.at("stderr").is_string()) p.stderr_path = s["stderr"].get<std::string>();
    const nlohmann::json& i = s.at("instance");
    p.file = i.at("file").get<std::string>();
    p.argv = i.at("argv").get<std::vector<std::string>>();
    if (i.at("cwd").is_string()) p.cwd = i["cwd"].get<std::string>();
    p.program = i.at("program").get<bool>();
    if (i.at("marker").is_string()) p.instance_marker = i["marker"].get<std::string>();
    const nlohmann::json& r = s.at("ready");
    p.ready_kind = r.at("kind").get<std::string>();
    if (p.ready_kind == "tcp") {
      p.ready_host = r.at("host").get<std::string>();
      p.ready_port = r.at("port").get<int>();
    } else if (p.ready_kind == "unix") {
      p.ready_path = r.at("path").get<std::string>();
    }
    if (s.at("healthPort").is_number()) {
      p.health_port = s["healthPort"].get<int>();
      p.health_host = s.at("healthHost").get<std::string>();
    }
    if (s.at("watchConfig").is_string()) p.watch_config = s["watchConfig"].get<std::string>();
    return p;
  } catch (const std::exception& e) {
    why = std::string("unreadable marker: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace taskdaemon::sv
