// Starting a child of a long-lived process with exactly the fds it is given
// (native/child-spawn.cc). Free of Node-API: the addon (child.cc) and the
// native supervisor (native/supervisor/) both use it.
#pragma once
#include <sys/types.h>
#include <string>
#include <vector>

namespace taskdaemon {

struct ChildRequest {
  std::string file, cwd;  // cwd empty: the caller's
  std::vector<std::string> argv, envp;
  std::vector<int> fds;      // the child's fd i is fds[i]; -1: closed in the child
  bool listen_pid = false;   // complete envp's "LISTEN_PID=" with the child's own pid
  int death_signal = 0;      // PR_SET_PDEATHSIG (0: none)
};

// pid > 0: the child exec'd. Otherwise the step that failed (syscall) and its errno.
struct ChildStart {
  pid_t pid;
  const char* syscall;
  int err;
};

ChildStart SpawnChildProcess(const ChildRequest& req);

}  // namespace taskdaemon
