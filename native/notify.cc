// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, a path or
// an abstract socket ("@name"). Node has no AF_UNIX datagram sockets.
// See: man 3 sd_notify, man 7 unix
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

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
}

}  // namespace taskdaemon
