// The sockaddr_un for a unix socket path, the binding side (control.cc) and
// the connecting side (control-call.cc) alike. sun_path holds 107 bytes; a
// longer path is reached through /proc/self/fd/N/NAME, N an O_PATH fd on its
// directory, which the caller closes once bind or connect is done.
// See: man 7 unix, man 5 proc (/proc/self/fd), man 2 open (O_PATH)
#pragma once
#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace taskdaemon {

struct UnixAddress {
  struct sockaddr_un sa;
  std::string path;  // what sun_path holds: `path` itself, or its /proc/self/fd form
  int dir_fd = -1;   // open when the /proc/self/fd form is used
  const char* step = nullptr;  // on failure: the failed call ("open"), or `use` for a path that cannot be one
  int err = 0;

  // `use` names the call the path is for ("bind", "connect"): an empty or overlong path fails as that call would.
  UnixAddress(const std::string& wanted, const char* use) : path(wanted) {
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    Fill(use);
  }
  ~UnixAddress() {
    if (dir_fd >= 0) close(dir_fd);
  }
  UnixAddress(const UnixAddress&) = delete;
  UnixAddress& operator=(const UnixAddress&) = delete;

 private:
  void Fill(const char* use) {
    if (path.empty()) return Fail(use, ENOENT);
    if (path.size() >= sizeof sa.sun_path) {
      size_t slash = path.rfind('/');
      if (slash == std::string::npos) return Fail(use, ENAMETOOLONG);
      std::string dir = slash == 0 ? "/" : path.substr(0, slash);
      dir_fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd < 0) return Fail("open", errno);
      path = "/proc/self/fd/" + std::to_string(dir_fd) + path.substr(slash);
      if (path.size() >= sizeof sa.sun_path) return Fail(use, ENAMETOOLONG);
    }
    memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  }
  void Fail(const char* s, int e) {
    step = s;
    err = e;
  }
};

}  // namespace taskdaemon
