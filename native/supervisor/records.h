// The readiness channel's records (src/readiness.ts): KEY=VALUE lines ending
// with a blank line, values escaping "\" and newlines. The supervisor reads
// its instances' (READY=1, ERROR=, EXIT=, RELOADING=1, RELOADED=N,
// RELOAD_ERROR=, STOPPING=1) and writes its own to `start`.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace taskdaemon::sv {

using Record = std::map<std::string, std::string>;

class RecordParser {
 public:
  /** The records completed by `chunk`. */
  std::vector<Record> Feed(const std::string& chunk);

 private:
  std::string buf_;
};

std::string EncodeRecord(const std::vector<std::pair<std::string, std::string>>& fields);

/** One record, written whole (a pipe); false when it could not be (EPIPE: nobody reads). */
bool SendRecord(int fd, const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace taskdaemon::sv
