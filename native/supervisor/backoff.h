// When an instance that ended is started again, per slot
// (README, Supervision): after --restart-delay, doubled after each
// consecutive quick failure up to --restart-delay-max, back to
// --restart-delay once an instance stayed up 10 s. Past --restart-limit
// (more than BURST restarts within INTERVAL) it gives up.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace taskdaemon::sv {

constexpr int64_t kStayedUpMs = 10000;

struct Decision {
  bool restart;
  int64_t delay_ms;
  int count;
  int64_t interval_ms;
};

class Backoff {
 public:
  Backoff(int64_t delay, int64_t max, std::optional<std::pair<int, int64_t>> limit) : first_(delay), max_(max), delay_(delay), limit_(limit) {}

  Decision Next(int64_t uptime_ms, int64_t now) {
    if (uptime_ms >= kStayedUpMs) delay_ = first_;
    if (limit_) {
      while (!recent_.empty() && now - recent_.front() >= limit_->second) recent_.pop_front();
      if (static_cast<int>(recent_.size()) >= limit_->first) return {false, 0, static_cast<int>(recent_.size()), limit_->second};
    }
    recent_.push_back(now);
    int64_t d = delay_;
    delay_ = std::min(delay_ * 2, max_);
    return {true, d, static_cast<int>(recent_.size()), 0};
  }

  /** A graceful replacement on purpose: its failures start a new count. */
  void Reset() {
    delay_ = first_;
    recent_.clear();
  }

 private:
  int64_t first_, max_, delay_;
  std::optional<std::pair<int, int64_t>> limit_;
  std::deque<int64_t> recent_;
};

}  // namespace taskdaemon::sv
