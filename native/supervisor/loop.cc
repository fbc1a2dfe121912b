#include "loop.h"
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>
#include <cerrno>
#include <utility>

namespace taskdaemon::sv {

static int64_t ClockMs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t MonoMs() { return ClockMs(CLOCK_MONOTONIC); }
int64_t WallMs() { return ClockMs(CLOCK_REALTIME); }

void Loop::Watch(int fd, short events, FdHandler h) { fds_[fd] = Watcher{events, std::move(h), generation_++}; }

void Loop::SetEvents(int fd, short events) {
  auto it = fds_.find(fd);
  if (it != fds_.end()) it->second.events = events;
}

void Loop::Unwatch(int fd) { fds_.erase(fd); }

uint64_t Loop::After(int64_t ms, std::function<void()> fn) {
  uint64_t id = next_id_++;
  timers_[id] = Timer{MonoMs() + (ms < 0 ? 0 : ms), std::move(fn)};
  return id;
}

void Loop::Cancel(uint64_t& id) {
  if (id) timers_.erase(id);
  id = 0;
}

void Loop::AcceptAll(int fd, const std::function<bool()>& room, const std::function<void(int)>& take) {
  for (;;) {
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return;  // EAGAIN, or a client gone before we took it
    if (room()) take(c);
    else close(c);
  }
}

void Loop::Defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

// Due timers in the order they are due (ties: the order they were made).
void Loop::RunTimers() {
  for (;;) {
    int64_t now = MonoMs();
    auto next = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.due <= now && (next == timers_.end() || it->second.due < next->second.due)) next = it;
    }
    if (next == timers_.end()) return;
    std::function<void()> fn = std::move(next->second.fn);
    timers_.erase(next);
    fn();
  }
}

void Loop::Run() {
  while (!quit_) {
    while (!deferred_.empty() && !quit_) {
      std::vector<std::function<void()>> now;
      now.swap(deferred_);
      for (auto& fn : now) fn();
    }
    if (quit_) break;
    int timeout = -1;
    if (!timers_.empty()) {
      int64_t first = INT64_MAX;
      for (auto& t : timers_) first = t.second.due < first ? t.second.due : first;
      int64_t wait = first - MonoMs();
      timeout = wait < 0 ? 0 : wait > 60000 ? 60000 : static_cast<int>(wait);
    }
    std::vector<pollfd> pfds;
    std::vector<uint64_t> gens;
    for (auto& [fd, w] : fds_) {
      pfds.push_back(pollfd{fd, w.events, 0});
      gens.push_back(w.generation);
    }
    int n = poll(pfds.data(), pfds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    for (size_t i = 0; n > 0 && i < pfds.size() && !quit_; i++) {
      if (!pfds[i].revents) continue;
      auto it = fds_.find(pfds[i].fd);
      // Removed, or replaced by another watcher of the same fd number, by an earlier handler.
      if (it == fds_.end() || it->second.generation != gens[i]) continue;
      FdHandler h = it->second.handler;
      h(pfds[i].revents);
    }
    RunTimers();
  }
}

}  // namespace taskdaemon::sv
