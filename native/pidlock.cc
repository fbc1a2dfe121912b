// PID file locking. Opening, stat-ing and reading the pidfile are done by
// TypeScript (Node's fs already opens with O_CLOEXEC and accepts O_NOFOLLOW);
// only flock(2) is missing from Node. See: man 2 flock
#include <sys/file.h>
#include <cerrno>
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

void InitPidlock(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("LOCK_SH", Napi::Number::New(env, LOCK_SH));
  exports.Set("LOCK_EX", Napi::Number::New(env, LOCK_EX));
  exports.Set("LOCK_UN", Napi::Number::New(env, LOCK_UN));
  exports.Set("LOCK_NB", Napi::Number::New(env, LOCK_NB));
}

}  // namespace taskdaemon
