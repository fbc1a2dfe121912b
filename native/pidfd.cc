// Signalling and waiting through a pidfd, so a recycled pid can never be hit:
// once the pidfd is open it refers to that one process, alive or dead.
// See: man 2 pidfd_open, man 2 pidfd_send_signal, man 2 poll
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <cstdint>
#include "deadline.h"
#include "errors.h"

namespace taskdaemon {

// pidfdOpen(pid) -> fd (always O_CLOEXEC) | -errno; ESRCH: no such process.
static Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 1)) return info.Env().Undefined();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return Napi::Number::New(info.Env(), fd < 0 ? -errno : fd);
}

// pidfdSendSignal(fd, sig) -> 0 | -errno; ESRCH: it has already exited.
static Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  long rc = syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0);
  return Napi::Number::New(info.Env(), rc < 0 ? -errno : 0);
}

// Waits up to timeout_ms (-1: forever) for fd to poll readable: 1 readable, 0 timed out, -errno.
// Signals do not cut the wait short (deadline.h).
static int WaitReadable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int rc = PollWithDeadline(&p, 1, timeout_ms);
  return rc > 0 ? 1 : (rc == 0 ? 0 : -errno);
}

// A pidfd polls readable once its process has exited; the wait runs on the
// libuv thread pool so the event loop stays free.
class PidfdWaitWorker : public Napi::AsyncWorker {
 public:
  PidfdWaitWorker(Napi::Env env, int fd, int timeout_ms)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        fd_(fd), timeout_ms_(timeout_ms) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { result_ = WaitReadable(fd_, timeout_ms_); }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int fd_, timeout_ms_, result_ = 0;
};

// pidfdWait(fd, timeoutMs) -> Promise<1 exited | 0 timed out | -errno>; -1 waits forever.
static Napi::Value PidfdWait(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  auto* w = new PidfdWaitWorker(info.Env(), info[0].As<Napi::Number>().Int32Value(),
                                info[1].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// pidfdWaitSync(fd, timeoutMs) -> the same, on this thread: for a command that
// has nothing else to do until the process exits (`taskdaemon stop`).
static Napi::Value PidfdWaitSync(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), WaitReadable(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value()));
}

void InitPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("pidfdWait", Napi::Function::New(env, PidfdWait, "pidfdWait"));
  exports.Set("pidfdWaitSync", Napi::Function::New(env, PidfdWaitSync, "pidfdWaitSync"));
}

}  // namespace taskdaemon
