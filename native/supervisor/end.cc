#include "end.h"
#include <string.h>
#include <sys/wait.h>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace taskdaemon::sv {

End EndOfWaitStatus(int status, int64_t at) {
  End e;
  e.at = at;
  if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
  else e.signal = WTERMSIG(status);
  return e;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);  // glibc >= 2.32
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string DescribeEnd(const End& e) {
  if (e.signal) return "was killed by " + SignalName(e.signal);
  return e.code < 0 ? "ended (its status was lost)" : "exited with code " + std::to_string(e.code);
}

bool Failed(const End& e) { return e.signal != 0 || e.code != 0; }

int ExitCodeOf(const End& e) { return e.signal ? 128 + e.signal : e.code < 0 ? 1 : e.code; }

std::string FormatDuration(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60000) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + "s";
  }
  int64_t s = static_cast<int64_t>(std::llround(static_cast<double>(ms) / 1000));
  const int64_t parts[4] = {s / 86400, (s % 86400) / 3600, (s % 3600) / 60, s % 60};
  const char units[4] = {'d', 'h', 'm', 's'};
  std::string out;
  for (int i = 0; i < 4; i++) {
    if (parts[i] <= 0) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(parts[i]) + units[i];
  }
  return out;
}

std::string ErrnoText(int err) {
  const char* name = strerrorname_np(err);  // glibc >= 2.32
  std::string desc = strerror(err);
  if (!desc.empty()) desc[0] = static_cast<char>(tolower(static_cast<unsigned char>(desc[0])));
  return std::string(name ? name : "errno " + std::to_string(err)) + ": " + desc;
}

}  // namespace taskdaemon::sv
