#include "log.h"
#include "loop.h"
#include "json.h"
#include <time.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace taskdaemon::sv {

static const char* const kLevelNames[] = {"debug", "info", "warn", "error"};

std::string IsoTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t;
  gmtime_r(&secs, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
           static_cast<int>(ms % 1000));
  return buf;
}

void Log::Line(Level at, const std::string& event, const std::string& detail) {
  if (at < level_) return;
  std::string line;
  const std::string time = IsoTime(WallMs());
  if (json_) {
    json j = {{"time", time}, {"level", kLevelNames[static_cast<int>(at)]}, {"pid", getpid()}, {"event", event}};
    if (!detail.empty()) j["detail"] = detail;
    line = Dump(j) + "\n";
  } else {
    line = time + " " + kLevelNames[static_cast<int>(at)] + " " + std::to_string(getpid()) + " " + event;
    if (!detail.empty()) {
      line += ' ';
      for (char c : detail) line += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    line += '\n';
  }
  size_t off = 0;
  while (off < line.size()) {
    ssize_t w = write(2, line.data() + off, line.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      lost_bytes_ += line.size() - off;
      lost_writes_++;
      const char* name = strerrorname_np(w < 0 ? errno : EIO);
      last_error_ = name ? name : "EIO";
      return;
    }
    off += static_cast<size_t>(w);
  }
}

}  // namespace taskdaemon::sv
