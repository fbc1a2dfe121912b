// Listening sockets made by the starter (possibly root, in a root-owned run
// directory, or on a privileged port) before it forks and drops privileges,
// and handed to the daemon like socket-activated fds: the control socket, and
// the --listen sockets a supervisor holds for its app instances.
// A unix socket's mode (0600 for the control socket) is set between bind and
// listen, so nobody can ever connect to it with looser permissions. A path
// longer than sun_path (108 bytes) is reached through /proc/self/fd/N/NAME, N
// being an fd on its directory, so a deep pidfile directory still gets its
// socket. A TCP socket takes a numeric address only: names are resolved by the
// caller, never between here and the fork.
// See: man 7 unix, man 7 ip, man 7 ipv6, man 7 socket (SO_REUSEADDR),
// man 2 bind, man 2 listen, man 3 inet_pton, man 5 proc (/proc/self/fd)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include "errors.h"
#include "unix-address.h"

namespace taskdaemon {

// Bind `path` (short enough for sun_path), set its mode, listen.
static Napi::Value Bind(Napi::Env env, const struct sockaddr_un& sa, const std::string& path, int backlog, mode_t mode) {
  // A socket left by a daemon that died: ours to replace (the caller holds the pidfile lock).
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return Failure(env, "bind", EEXIST);
    if (unlink(path.c_str()) != 0) return Failure(env, "unlink", errno);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failure(env, "socket", errno);
  const char* step = nullptr;
  if (bind(fd, reinterpret_cast<const struct sockaddr*>(&sa), sizeof sa) != 0) step = "bind";
  else if (chmod(path.c_str(), mode) != 0) step = "chmod";
  else if (listen(fd, backlog) != 0) step = "listen";
  if (step) {
    int err = errno;
    close(fd);
    if (strcmp(step, "bind") != 0) unlink(path.c_str());
    return Failure(env, step, err);
  }
  return Napi::Number::New(env, fd);
}

// unixListen(path, backlog[, mode = 0600]) -> fd (O_CLOEXEC) | { errno, syscall }
static Napi::Value UnixListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 2)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int backlog = info[1].As<Napi::Number>().Int32Value();
  mode_t mode = info.Length() > 2 && info[2].IsNumber() ? static_cast<mode_t>(info[2].As<Napi::Number>().Uint32Value() & 07777) : 0600;
  UnixAddress addr(path, "bind");
  if (addr.step) return Failure(env, addr.step, addr.err);
  return Bind(env, addr.sa, addr.path, backlog, mode);
}

// tcpListen(family 4|6, address, port, backlog) -> fd (O_CLOEXEC) | { errno, syscall }
// SO_REUSEADDR: a restart binds again while the last one's connections sit in
// TIME_WAIT. An IPv6 socket is IPv6 only (IPV6_V6ONLY), whatever
// /proc/sys/net/ipv6/bindv6only says: tcp:0.0.0.0:P and tcp6:[::]:P then
// coexist, and a tcp6 listener never takes IPv4 connections by surprise.
static Napi::Value TcpListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 4)) return env.Undefined();
  int family = info[0].As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
  std::string address = info[1].As<Napi::String>().Utf8Value();
  int port = info[2].As<Napi::Number>().Int32Value();
  int backlog = info[3].As<Napi::Number>().Int32Value();
  if (port < 0 || port > 65535) return Failure(env, "bind", EINVAL);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<struct sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1) return Failure(env, "inet_pton", EINVAL);
    len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<struct sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) != 1) return Failure(env, "inet_pton", EINVAL);
    len = sizeof *sin6;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failure(env, "socket", errno);
  const int on = 1;
  const char* step = nullptr;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) step = "setsockopt";
  else if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) step = "setsockopt";
  else if (bind(fd, reinterpret_cast<const struct sockaddr*>(&ss), len) != 0) step = "bind";
  else if (listen(fd, backlog) != 0) step = "listen";
  if (step) {
    int err = errno;
    close(fd);
    return Failure(env, step, err);
  }
  return Napi::Number::New(env, fd);
}

void InitControl(Napi::Env env, Napi::Object exports) {
  exports.Set("unixListen", Napi::Function::New(env, UnixListen, "unixListen"));
  exports.Set("tcpListen", Napi::Function::New(env, TcpListen, "tcpListen"));
}

}  // namespace taskdaemon
