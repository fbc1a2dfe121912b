// File descriptor plumbing Node does not offer: pipe2(2) for the readiness
// channel, toggling FD_CLOEXEC on inherited fds, dup2(2) for log reopening,
// and memfd_create(2) to hand the daemon its boot options as an fd rather
// than in its environment (which stays readable in /proc/PID/environ).
// See: man 2 pipe2, man 2 fcntl, man 2 dup2, man 2 memfd_create
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cerrno>
#include <string>
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

// memfdWith(name, text) -> fd (O_CLOEXEC, at offset 0, sealed against change) | -errno
static Napi::Value MemfdWith(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string text = info[1].As<Napi::String>().Utf8Value();
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int err = w < 0 ? errno : EIO;
      close(fd);
      return Napi::Number::New(info.Env(), -err);
    }
    off += static_cast<size_t>(w);
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
    int err = errno;
    close(fd);
    return Napi::Number::New(info.Env(), -err);
  }
  return Napi::Number::New(info.Env(), fd);
}

void InitFds(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("setCloexec", Napi::Function::New(env, SetCloexec, "setCloexec"));
  exports.Set("dup2", Napi::Function::New(env, Dup2, "dup2"));
  exports.Set("memfdWith", Napi::Function::New(env, MemfdWith, "memfdWith"));
}

}  // namespace taskdaemon
