// A pipe that already holds `text`, its write end closed: the reader gets it
// all, then end of file. A pipe, not a file: no RLIMIT_FSIZE applies and
// nothing is left anywhere. Grown to fit (F_SETPIPE_SZ, up to
// /proc/sys/fs/pipe-max-size); what still does not fit is E2BIG. Free of
// Node-API: the addon's pipeWith and the native supervisor use it.
// See: man 7 pipe, man 2 fcntl (F_SETPIPE_SZ)
#pragma once
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <string>

namespace taskdaemon {

/** The read end (O_CLOEXEC), or -errno. */
inline int PipeWithText(const std::string& text) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
  int err = 0;
  int size = fcntl(fds[1], F_GETPIPE_SZ);
  if (size >= 0 && static_cast<size_t>(size) < text.size()) fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(text.size()));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = write(fds[1], text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      err = errno == EAGAIN ? E2BIG : errno;
      break;
    }
    off += static_cast<size_t>(w);
  }
  close(fds[1]);
  int flags = fcntl(fds[0], F_GETFL);
  if (!err && (flags < 0 || fcntl(fds[0], F_SETFL, flags & ~O_NONBLOCK) != 0)) err = errno;
  if (err) {
    close(fds[0]);
    return -err;
  }
  return fds[0];
}

}  // namespace taskdaemon
