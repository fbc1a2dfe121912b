// How an instance ended (src/process-end.ts), in words for the log and
// `status`, and durations as the runtime writes them (src/duration.ts).
#pragma once
#include <cstdint>
#include <string>

namespace taskdaemon::sv {

struct End {
  int code = -1;   // exit code; -1 with signal 0: its status was lost (ECHILD)
  int signal = 0;  // the signal that killed it, or 0
  int64_t at = 0;  // epoch ms
};

End EndOfWaitStatus(int status, int64_t at);
std::string SignalName(int sig);
std::string DescribeEnd(const End& e);
/** A failure for --restart on-failure: a non-zero exit or a signal. */
bool Failed(const End& e);
/** As a shell reports it: the code, or 128 + the signal. */
int ExitCodeOf(const End& e);
std::string FormatDuration(int64_t ms);
/** "ENOENT: no such file or directory", as src/errors.ts words an errno. */
std::string ErrnoText(int err);

}  // namespace taskdaemon::sv
