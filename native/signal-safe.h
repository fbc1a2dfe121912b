// Helpers for a forked child between fork and execve, where only
// async-signal-safe calls are allowed (man 7 signal-safety): no allocation, no
// locks, no stdio. Used by spawn.cc (the daemon) and child.cc (a supervised
// child).
#pragma once
#include <unistd.h>
#include <cerrno>
#include <cstddef>

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

}  // namespace taskdaemon
