// File descriptor plumbing Node does not offer: pipe2(2) for the readiness
// channel, toggling FD_CLOEXEC on inherited fds, dup2(2) for log reopening,
// and a filled pipe to hand the daemon its boot options as an fd rather than
// in its environment (which stays readable in /proc/PID/environ); and
// isatty(3), which node offers only through node:tty (and net, streams with it).
// See: man 2 pipe2, man 2 fcntl, man 2 dup2, man 7 pipe (F_SETPIPE_SZ), man 3 isatty
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <string>
#include "errors.h"
#include "pipe-with.h"

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

// pipeWith(text) -> read end (O_CLOEXEC) of a pipe that holds `text` and whose
// write end is closed (pipe-with.h), or -errno.
static Napi::Value PipeWith(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 1)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), PipeWithText(info[0].As<Napi::String>().Utf8Value()));
}

// isatty(fd) -> boolean
static Napi::Value IsTty(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 1)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), isatty(info[0].As<Napi::Number>().Int32Value()) == 1);
}

void InitFds(Napi::Env env, Napi::Object exports) {
  exports.Set("isatty", Napi::Function::New(env, IsTty, "isatty"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("setCloexec", Napi::Function::New(env, SetCloexec, "setCloexec"));
  exports.Set("dup2", Napi::Function::New(env, Dup2, "dup2"));
  exports.Set("pipeWith", Napi::Function::New(env, PipeWith, "pipeWith"));
}

}  // namespace taskdaemon
