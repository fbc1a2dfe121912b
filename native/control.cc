// The control socket's listening fd, made by the starter (possibly root, in a
// root-owned run directory) and handed to the daemon like a socket-activated
// fd. Mode 0600 is set between bind and listen, so nobody can ever connect to
// it with looser permissions. A path longer than sun_path (108 bytes) is
// reached through /proc/self/fd/N/NAME, N being an fd on its directory, so a
// deep pidfile directory still gets its socket.
// See: man 7 unix, man 2 bind, man 2 listen, man 5 proc (/proc/self/fd)
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include "errors.h"

namespace taskdaemon {

// Bind `path` (short enough for sun_path), set 0600, listen.
static Napi::Value Bind(Napi::Env env, const struct sockaddr_un& sa, const std::string& path, int backlog) {
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
  else if (chmod(path.c_str(), 0600) != 0) step = "chmod";
  else if (listen(fd, backlog) != 0) step = "listen";
  if (step) {
    int err = errno;
    close(fd);
    if (strcmp(step, "bind") != 0) unlink(path.c_str());
    return Failure(env, step, err);
  }
  return Napi::Number::New(env, fd);
}

// unixListen(path, backlog) -> fd (O_CLOEXEC) | { errno, syscall }
static Napi::Value UnixListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 2)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int backlog = info[1].As<Napi::Number>().Int32Value();
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (path.empty()) return Failure(env, "bind", ENOENT);
  int dir_fd = -1;
  if (path.size() >= sizeof sa.sun_path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return Failure(env, "bind", ENAMETOOLONG);
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    dir_fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return Failure(env, "open", errno);
    path = "/proc/self/fd/" + std::to_string(dir_fd) + path.substr(slash);
    if (path.size() >= sizeof sa.sun_path) {
      close(dir_fd);
      return Failure(env, "bind", ENAMETOOLONG);
    }
  }
  memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  Napi::Value result = Bind(env, sa, path, backlog);
  if (dir_fd >= 0) close(dir_fd);
  return result;
}

void InitControl(Napi::Env env, Napi::Object exports) {
  exports.Set("unixListen", Napi::Function::New(env, UnixListen, "unixListen"));
}

}  // namespace taskdaemon
