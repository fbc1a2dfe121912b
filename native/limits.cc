// Resource limits for `run` (the start sequence sets them in native/spawn.cc
// before exec). Node can read but not set them. See: man 2 setrlimit
#include <sys/resource.h>
#include <cerrno>
#include <string>
#include "errors.h"

namespace taskdaemon {

int ResourceByName(const std::string& name) {
  if (name == "nofile") return RLIMIT_NOFILE;
  if (name == "core") return RLIMIT_CORE;
  if (name == "nproc") return RLIMIT_NPROC;
  if (name == "memlock") return RLIMIT_MEMLOCK;
  return -1;
}

// A limit value from JS: a number, or -1 for unlimited.
rlim_t LimitValue(double v) {
  return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v);
}

// setrlimit(name, soft, hard) -> 0 | -errno; -1 means unlimited.
static Napi::Value SetRlimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 3)) return env.Undefined();
  int res = ResourceByName(info[0].As<Napi::String>().Utf8Value());
  if (res < 0) return Napi::Number::New(env, -EINVAL);
  struct rlimit rl;
  rl.rlim_cur = LimitValue(info[1].As<Napi::Number>().DoubleValue());
  rl.rlim_max = LimitValue(info[2].As<Napi::Number>().DoubleValue());
  return Napi::Number::New(env, setrlimit(res, &rl) == 0 ? 0 : -errno);
}

void InitLimits(Napi::Env env, Napi::Object exports) {
  exports.Set("setrlimit", Napi::Function::New(env, SetRlimit, "setrlimit"));
}

}  // namespace taskdaemon
