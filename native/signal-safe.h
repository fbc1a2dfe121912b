// Helpers for a child between its clone and execve, where only
// async-signal-safe calls are allowed (man 7 signal-safety): no allocation, no
// locks, no stdio. Used by spawn.cc (the daemon) and child-spawn.cc (a supervised
// child).
#pragma once
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace taskdaemon {

// Marks code that runs in a CLONE_VM child (CloneVfork, below). Never built
// with the sanitizers: the child's stack is one they do not know (ASan's
// __asan_handle_no_return warns on the child's stderr, which is the
// starter's), and their runtimes may allocate, which the child must not.
#define TD_CHILD __attribute__((no_sanitize("address", "undefined")))

TD_CHILD inline size_t Append(char* buf, size_t n, size_t cap, const char* s) {
  while (*s && n + 1 < cap) buf[n++] = *s++;
  return n;
}

TD_CHILD inline size_t AppendUint(char* buf, size_t n, size_t cap, unsigned long v) {
  char tmp[24];
  size_t k = 0;
  do { tmp[k++] = static_cast<char>('0' + v % 10); v /= 10; } while (v && k < sizeof tmp);
  while (k && n + 1 < cap) buf[n++] = tmp[--k];
  return n;
}

TD_CHILD inline void WriteAll(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    buf += w;
    n -= static_cast<size_t>(w);
  }
}

// The stack a CLONE_VM child runs on (below), mapped before the clone with a
// guard page at its low end: an overflow faults instead of writing into the
// caller's memory. Unmapped once the child has exec'd or exited.
// See: man 2 mmap, man 2 mprotect
class ChildStack {
 public:
  static constexpr size_t kSize = 256 * 1024;
  ChildStack() {
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return;
    base_ = static_cast<char*>(p);
    if (mprotect(base_, static_cast<size_t>(sysconf(_SC_PAGESIZE)), PROT_NONE) != 0) { munmap(base_, kSize); base_ = nullptr; }
  }
  ~ChildStack() { if (base_) munmap(base_, kSize); }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  bool ok() const { return base_ != nullptr; }
  // Stacks grow down on every architecture we build for (x86_64, aarch64).
  void* top() const { return base_ + kSize; }

 private:
  char* base_ = nullptr;
};

// A child that shares the caller's memory until it calls execve or _exit,
// while the calling thread waits: CLONE_VM|CLONE_VFORK, as posix_spawn(3)
// does. Unlike fork nothing is copied from a node of 40 MB (page tables) and
// nothing torn down when the child ends: about 5 ms of every start here.
// In the child, as after fork, only async-signal-safe calls; and since the
// memory is the caller's, nothing may be written but the child's own stack
// (and errno, which is the waiting thread's). No CLONE_FILES, CLONE_FS or
// CLONE_SIGHAND: fds, cwd, umask and signal dispositions are the child's own.
// Returns the child's pid, or -1 with errno.
// See: man 2 clone (CLONE_VM, CLONE_VFORK), man 3 posix_spawn, man 2 vfork
inline pid_t CloneVfork(int (*fn)(void*), void* arg, const ChildStack& stack) {
  if (!stack.ok()) { errno = ENOMEM; return -1; }
  return clone(fn, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
}

// Dispositions of caught signals point into Node's code: reset them all.
TD_CHILD inline void ResetSignalDispositions() {
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
TD_CHILD inline int CloseFds(unsigned lo, unsigned hi, int max_fd) {
  if (lo > hi) return 0;
  if (syscall(SYS_close_range, lo, hi, 0) == 0) return 0;
  if (errno != ENOSYS) return errno;
  for (unsigned fd = lo; fd <= hi && fd < static_cast<unsigned>(max_fd); fd++) close(static_cast<int>(fd));
  return 0;
}

}  // namespace taskdaemon
