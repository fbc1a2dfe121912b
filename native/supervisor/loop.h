// The supervisor's event loop: poll(2) over the fds it watches, timers on
// CLOCK_MONOTONIC, and callbacks deferred to the next turn. One thread; a
// handler may add or remove watchers and timers, including its own.
// See: man 2 poll, man 2 clock_gettime
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace taskdaemon::sv {

int64_t MonoMs();
/** Epoch milliseconds, as JavaScript's Date.now(). */
int64_t WallMs();

class Loop {
 public:
  using FdHandler = std::function<void(short revents)>;
  void Watch(int fd, short events, FdHandler h);
  void SetEvents(int fd, short events);
  void Unwatch(int fd);
  /** Runs `fn` once after `ms`; the id cancels it (0 is never an id). */
  uint64_t After(int64_t ms, std::function<void()> fn);
  /** Cancels the timer and sets `id` to 0; a timer that ran or 0 is a no-op. */
  void Cancel(uint64_t& id);
  /** Runs `fn` on the next turn, before waiting again. */
  void Defer(std::function<void()> fn);
  void Run();
  void Quit() { quit_ = true; }
  /**
   * Every connection waiting on the non-blocking listening socket `fd`, accepted
   * non-blocking and close-on-exec: `take(conn)` for each while `room()`, else
   * closed at once (a client over the limit). See: man 2 accept4
   */
  static void AcceptAll(int fd, const std::function<bool()>& room, const std::function<void(int)>& take);

 private:
  struct Watcher {
    short events;
    FdHandler handler;
    uint64_t generation;
  };
  struct Timer {
    int64_t due;
    std::function<void()> fn;
  };
  std::map<int, Watcher> fds_;
  std::map<uint64_t, Timer> timers_;
  std::vector<std::function<void()>> deferred_;
  uint64_t next_id_ = 1;
  uint64_t generation_ = 1;
  bool quit_ = false;
  void RunTimers();
};

}  // namespace taskdaemon::sv
