// The addon's side of native/child-spawn.cc: spawnChild, waitChild (by pid),
// reapAny (PID 1's job) and setChildSubreaper, for the app under `run --init`.
// The supervisor (native/supervisor/) calls SpawnChildProcess directly.
// See: man 2 waitpid, man 2 prctl
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include "argv.h"
#include "child-spawn.h"
#include "errors.h"

namespace taskdaemon {

namespace {

Napi::Value Status(Napi::Env env, pid_t pid, int status) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("pid", Napi::Number::New(env, pid));
  if (WIFEXITED(status)) {
    r.Set("code", Napi::Number::New(env, WEXITSTATUS(status)));
    r.Set("signal", env.Null());
  } else {
    r.Set("code", env.Null());
    r.Set("signal", Napi::Number::New(env, WTERMSIG(status)));
  }
  return r;
}

}  // namespace

// spawnChild({ file, argv, envp, cwd, fds, listenPid, deathSignal }) -> { pid } | { errno, syscall }
static Napi::Value SpawnChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  Napi::Object o = info[0].As<Napi::Object>();
  ChildRequest req;
  req.file = o.Get("file").As<Napi::String>().Utf8Value();
  Napi::Value cwd = o.Get("cwd");
  if (cwd.IsString()) req.cwd = cwd.As<Napi::String>().Utf8Value();
  req.argv = Strings(o.Get("argv").As<Napi::Array>());
  req.envp = Strings(o.Get("envp").As<Napi::Array>());
  Napi::Array fds = o.Get("fds").As<Napi::Array>();
  for (uint32_t i = 0; i < fds.Length(); i++) req.fds.push_back(fds.Get(i).As<Napi::Number>().Int32Value());
  req.listen_pid = o.Get("listenPid").ToBoolean().Value();
  Napi::Value death = o.Get("deathSignal");
  if (death.IsNumber()) req.death_signal = death.As<Napi::Number>().Int32Value();
  ChildStart r = SpawnChildProcess(req);
  if (r.pid < 0) return Failure(env, r.syscall, r.err);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, r.pid));
  return out;
}

// waitChild(pid) -> { pid, code, signal } once it ended | null while it runs | -errno
static Napi::Value WaitChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int status;
  pid_t w;
  do w = waitpid(pid, &status, WNOHANG); while (w < 0 && errno == EINTR);
  if (w < 0) return Napi::Number::New(env, -errno);
  if (w == 0) return env.Null();
  return Status(env, w, status);
}

// reapAny() -> [{ pid, code, signal }, ...]: every child that has ended (PID 1's job).
static Napi::Value ReapAny(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (;;) {
    int status;
    pid_t w = waitpid(-1, &status, WNOHANG);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    out.Set(n++, Status(env, w, status));
  }
  return out;
}

// setChildSubreaper() -> 0 | -errno: orphaned descendants are reparented to
// this process instead of PID 1 (`run --init` when it is not PID 1 itself).
// See: man 2 PR_SET_CHILD_SUBREAPER
static Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno);
}

void InitChild(Napi::Env env, Napi::Object exports) {
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper, "setChildSubreaper"));
  exports.Set("spawnChild", Napi::Function::New(env, SpawnChild, "spawnChild"));
  exports.Set("waitChild", Napi::Function::New(env, WaitChild, "waitChild"));
  exports.Set("reapAny", Napi::Function::New(env, ReapAny, "reapAny"));
}

}  // namespace taskdaemon
