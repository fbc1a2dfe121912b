// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, a path or
// an abstract socket ("@name"). Node has no AF_UNIX datagram sockets. The
// receiving side too, for `start --ready notify`: the starter binds the
// socket a program's READY=1 (or STATUS=, ERRNO=) arrives on, as systemd and
// `start-stop-daemon --notify-await` do.
// See: man 3 sd_notify, man 7 unix, man 2 recv
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include "errors.h"

namespace taskdaemon {

// sdNotify(socketPath, message) -> 0 | -errno
static Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 2)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string msg = info[1].As<Napi::String>().Utf8Value();

  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path || (path[0] != '/' && path[0] != '@'))
    return Napi::Number::New(env, -EINVAL);
  memcpy(sa.sun_path, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size());
  if (path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace: no trailing NUL counted
  else len += 1;

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(env, -errno);
  ssize_t n;
  do n = sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&sa), len);
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  close(fd);
  return Napi::Number::New(env, -err);
}

// notifyBind(path) -> fd (SOCK_DGRAM, O_CLOEXEC, O_NONBLOCK) | { errno, syscall }.
// `path` must fit sun_path; the caller makes its directory private.
static Napi::Value NotifyBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (path.empty() || path[0] != '/') return Failure(env, "bind", EINVAL);
  if (path.size() >= sizeof sa.sun_path) return Failure(env, "bind", ENAMETOOLONG);
  memcpy(sa.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Failure(env, "socket", errno);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) {
    int err = errno;
    close(fd);
    return Failure(env, "bind", err);
  }
  return Napi::Number::New(env, fd);
}

// notifyRecv(fd) -> the next datagram as a string | null when none is queued | -errno.
// A datagram longer than systemd accepts (4096 bytes, NOTIFY_BUFFER_MAX) is
// cut there; fds passed with it (SCM_RIGHTS) are closed by the kernel, as recv
// asks for no control data.
static Napi::Value NotifyRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  char buf[4096];
  ssize_t n;
  do n = recv(fd, buf, sizeof buf, MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? env.Null() : Napi::Number::New(env, -errno);
  return Napi::String::New(env, buf, static_cast<size_t>(n));
}

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
  exports.Set("notifyBind", Napi::Function::New(env, NotifyBind, "notifyBind"));
  exports.Set("notifyRecv", Napi::Function::New(env, NotifyRecv, "notifyRecv"));
}

}  // namespace taskdaemon
