// Waiting against a deadline on CLOCK_MONOTONIC, so it does not move with the
// wall clock. A signal handled on the waiting thread interrupts poll (EINTR,
// never restarted: man 7 signal): the wait goes on for what is left until the
// deadline, not the whole timeout, or a steady trickle of signals would wait
// forever. Used by pidfd.cc, poll.cc and control-call.cc.
// See: man 2 clock_gettime, man 2 poll
#pragma once
#include <poll.h>
#include <time.h>
#include <cerrno>
#include <cstdint>

namespace taskdaemon {

inline int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Milliseconds until `deadline` (MonotonicMs() based), 0 once it has passed.
inline int MsLeft(int64_t deadline) {
  int64_t left = deadline - MonotonicMs();
  return left > 0 ? static_cast<int>(left) : 0;
}

// poll(2) for up to timeout_ms in all (-1: forever), EINTR included; poll's result, errno set on -1.
inline int PollWithDeadline(struct pollfd* fds, nfds_t n, int timeout_ms) {
  const int64_t deadline = timeout_ms < 0 ? -1 : MonotonicMs() + timeout_ms;
  int rc;
  while ((rc = poll(fds, n, deadline < 0 ? -1 : MsLeft(deadline))) == -1 && errno == EINTR) {
  }
  return rc;
}

}  // namespace taskdaemon
