// File descriptor plumbing Node does not offer: pipe2(2) for the readiness
// channel, toggling FD_CLOEXEC on inherited fds, and dup2(2) for log reopening.
// See: man 2 pipe2, man 2 fcntl, man 2 dup2
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include "errors.h"

namespace taskdaemon {

// pipe2(O_CLOEXEC) -> [readFd, writeFd] | -errno
static Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Napi::Number::New(info.Env(), -errno);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  a.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return a;
}

// setCloexec(fd, on) -> 0 | -errno
static Napi::Value SetCloexec(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  bool on = info[1].As<Napi::Boolean>().Value();
  int flags = fcntl(fd, F_GETFD);
  if (flags == -1) return Napi::Number::New(info.Env(), -errno);
  flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (fcntl(fd, F_SETFD, flags) == -1) return Napi::Number::New(info.Env(), -errno);
  return Napi::Number::New(info.Env(), 0);
}

// dup2(oldFd, newFd) -> newFd | -errno
static Napi::Value Dup2(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  int oldfd = info[0].As<Napi::Number>().Int32Value();
  int newfd = info[1].As<Napi::Number>().Int32Value();
  int rc;
  do rc = dup2(oldfd, newfd); while (rc == -1 && errno == EINTR);
  return Napi::Number::New(info.Env(), rc == -1 ? -errno : rc);
}

void InitFds(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("setCloexec", Napi::Function::New(env, SetCloexec, "setCloexec"));
  exports.Set("dup2", Napi::Function::New(env, Dup2, "dup2"));
}

}  // namespace taskdaemon
