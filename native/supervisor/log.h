// The supervisor's lifecycle log, in the runtime's formats
// (src/runtime/logger.ts): "time level pid event detail" or one JSON object
// per line, written with write(2) to fd 2 (the daemon's log). A write that
// fails (a full disk) is counted, never fatal (src/runtime/log-loss.ts).
#pragma once
#include <cstdint>
#include <string>

namespace taskdaemon::sv {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

/** "2026-12-02T16:31:14.123Z", as the runtime's isoTime. */
std::string IsoTime(int64_t epoch_ms);

class Log {
 public:
  Log(bool json, Level level) : json_(json), level_(level) {}
  void Debug(const std::string& event, const std::string& detail = "") { Line(Level::Debug, event, detail); }
  void Info(const std::string& event, const std::string& detail = "") { Line(Level::Info, event, detail); }
  void Warn(const std::string& event, const std::string& detail = "") { Line(Level::Warn, event, detail); }
  void Error(const std::string& event, const std::string& detail = "") { Line(Level::Error, event, detail); }
  /** What never reached the log: bytes, writes, the last error's name ("" if none). */
  struct Loss {
    uint64_t bytes, writes;
    std::string last_error;
  };
  Loss Lost() const { return {lost_bytes_, lost_writes_, last_error_}; }

 private:
  bool json_;
  Level level_;
  uint64_t lost_bytes_ = 0, lost_writes_ = 0;
  std::string last_error_;
  void Line(Level at, const std::string& event, const std::string& detail);
};

}  // namespace taskdaemon::sv
