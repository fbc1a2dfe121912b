// Helpers for a forked child between fork and execve, where only
// async-signal-safe calls are allowed (man 7 signal-safety): no allocation, no
// locks, no stdio. Used by spawn.cc (the daemon) and child.cc (a supervised
// child).
#pragma once
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace taskdaemon {

inline size_t Append(char* buf, size_t n, size_t cap, const char* s) {
  while (*s && n + 1 < cap) buf[n++] = *s++;
  return n;
}

inline size_t AppendUint(char* buf, size_t n, size_t cap, unsigned long v) {
  char tmp[24];
  size_t k = 0;
  do { tmp[k++] = static_cast<char>('0' + v % 10); v /= 10; } while (v && k < sizeof tmp);
  while (k && n + 1 < cap) buf[n++] = tmp[--k];
  return n;
}

inline void WriteAll(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    buf += w;
    n -= static_cast<size_t>(w);
  }
}

// fork(2) runs pthread_atfork handlers in the child (libuv registers one that
// recreates its signal pipe); _Fork (glibc 2.34+, POSIX.1-2024) runs none and
// is async-signal-safe, so nothing but our own code runs before execve.
inline pid_t BareFork() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  return _Fork();
#else
  return fork();
#endif
}

// Dispositions of caught signals point into Node's code: reset them all.
inline void ResetSignalDispositions() {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, nullptr);  // EINVAL for KILL/STOP: fine
}

// The bound of CloseFds' fallback loop: the soft RLIMIT_NOFILE, read before
// fork (getrlimit is not on the async-signal-safe list).
inline int MaxFdBeforeFork() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) return static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  return 1024;
}

// close_range(2) of lo..hi -> 0 | errno. Only a kernel without it (before 5.9:
// ENOSYS) falls back to closing one by one below max_fd; any other error (a
// seccomp filter saying EPERM, say) is returned rather than fds leaked silently.
inline int CloseFds(unsigned lo, unsigned hi, int max_fd) {
  if (lo > hi) return 0;
  if (syscall(SYS_close_range, lo, hi, 0) == 0) return 0;
  if (errno != ENOSYS) return errno;
  for (unsigned fd = lo; fd <= hi && fd < static_cast<unsigned>(max_fd); fd++) close(static_cast<int>(fd));
  return 0;
}

}  // namespace taskdaemon
