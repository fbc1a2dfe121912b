// PID file locking. Opening, stat-ing and reading the pidfile are done by
// TypeScript (Node's fs already opens with O_CLOEXEC and accepts O_NOFOLLOW);
// only flock(2) is missing from Node. See: man 2 flock
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <string>
#include "errors.h"

namespace taskdaemon {

// flock(fd, op) -> 0 | -errno. EWOULDBLOCK means another holder: "already running".
static Napi::Value Flock(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  int rc;
  do rc = flock(fd, op); while (rc == -1 && errno == EINTR);
  return Napi::Number::New(info.Env(), rc == 0 ? 0 : -errno);
}

// Whether /proc/PID/fdinfo/FD lists an flock ("lock:\t1: FLOCK  ADVISORY  WRITE ...").
// See: man 5 proc (/proc/pid/fdinfo)
static bool FdinfoHasFlock(int pid, const char* fd) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", pid, fd);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return false;  // closed meanwhile
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(f, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(f);
  for (size_t at = 0; (at = text.find("lock:", at)) != std::string::npos; at += 5) {
    if (at != 0 && text[at - 1] != '\n') continue;  // "lock:" starts a line
    size_t end = text.find('\n', at);
    if (text.substr(at, end == std::string::npos ? std::string::npos : end - at).find(" FLOCK ") != std::string::npos) return true;
  }
  return false;
}

// lockHeldBy(pid, dev, ino) -> 1 | 0 | -errno: whether process PID holds an
// flock on the file (dev, ino) through an fd of its own. Each fd is stat'ed
// through its /proc/PID/fd link (which leads to the open file), and one on
// that file has its fdinfo read for the lock. -errno when the fd directory
// cannot be opened (ENOENT: gone; EACCES: another user's process, or one with
// no memory map). One call for what took a stat per fd from JavaScript.
// See: man 5 proc (/proc/pid/fd), man 2 fstatat
static Napi::Value LockHeldBy(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 3)) return info.Env().Undefined();
  Napi::Env env = info.Env();
  int pid = info[0].As<Napi::Number>().Int32Value();
  // As node's fs.stat gives them (doubles), so both sides compare alike.
  double dev = info[1].As<Napi::Number>().DoubleValue();
  double ino = info[2].As<Napi::Number>().DoubleValue();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Napi::Number::New(env, -errno);
  DIR* dir = fdopendir(dfd);
  if (dir == nullptr) {
    int err = errno;
    close(dfd);
    return Napi::Number::New(env, -err);
  }
  int held = 0;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (fstatat(dfd, e->d_name, &st, 0) != 0) continue;  // closed meanwhile, or a file we may not stat
    if (static_cast<double>(st.st_dev) != dev || static_cast<double>(st.st_ino) != ino) continue;
    if (FdinfoHasFlock(pid, e->d_name)) {
      held = 1;
      break;
    }
  }
  closedir(dir);  // closes dfd
  return Napi::Number::New(env, held);
}

void InitPidlock(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("lockHeldBy", Napi::Function::New(env, LockHeldBy, "lockHeldBy"));
  exports.Set("LOCK_SH", Napi::Number::New(env, LOCK_SH));
  exports.Set("LOCK_EX", Napi::Number::New(env, LOCK_EX));
  exports.Set("LOCK_UN", Napi::Number::New(env, LOCK_UN));
  exports.Set("LOCK_NB", Napi::Number::New(env, LOCK_NB));
}

}  // namespace taskdaemon
