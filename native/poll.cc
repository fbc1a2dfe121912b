// Waiting for whichever of several fds becomes readable first (a pidfd: its
// process exited; a socket or pipe: data or end of file), on the libuv thread
// pool so the event loop stays free. `start --ready notify|tcp|unix` waits on
// a program's pidfd and its notify socket at once.
// See: man 2 poll, man 2 pidfd_open
#include <poll.h>
#include <cerrno>
#include <cstdint>
#include <vector>
#include "deadline.h"
#include "errors.h"

namespace taskdaemon {

namespace {

class PollWorker : public Napi::AsyncWorker {
 public:
  PollWorker(Napi::Env env, std::vector<int> fds, int timeout_ms)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), timeout_ms_(timeout_ms) {
    for (int fd : fds) fds_.push_back({fd, POLLIN, 0});
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Signals on this thread do not cut the wait short (deadline.h).
  void Execute() override {
    int rc = PollWithDeadline(fds_.data(), fds_.size(), timeout_ms_);
    err_ = rc < 0 ? errno : 0;
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (err_) return deferred_.Resolve(Napi::Number::New(env, -err_));
    Napi::Array out = Napi::Array::New(env, fds_.size());
    // Readable, hung up or in error: each means "look at this fd now".
    for (uint32_t i = 0; i < fds_.size(); i++) out.Set(i, Napi::Boolean::New(env, fds_[i].revents != 0));
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<struct pollfd> fds_;
  int timeout_ms_, err_ = 0;
};

}  // namespace

// pollFds(fds, timeoutMs) -> Promise<boolean[] (ready, per fd; all false: timed out) | -errno>; -1 waits forever.
static Napi::Value PollFds(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t i = 0; i < a.Length(); i++) fds.push_back(a.Get(i).As<Napi::Number>().Int32Value());
  auto* w = new PollWorker(info.Env(), fds, info[1].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

void InitPoll(Napi::Env env, Napi::Object exports) {
  exports.Set("pollFds", Napi::Function::New(env, PollFds, "pollFds"));
}

}  // namespace taskdaemon
