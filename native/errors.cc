// Helpers for the -errno convention described in errors.h.
#include "errors.h"

namespace taskdaemon {

Napi::Object Failure(Napi::Env env, const char* syscall, int err) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("errno", Napi::Number::New(env, -err));
  o.Set("syscall", Napi::String::New(env, syscall));
  return o;
}

bool ExpectArgs(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() >= n) return true;
  Napi::TypeError::New(info.Env(), "taskdaemon native: wrong number of arguments")
      .ThrowAsJavaScriptException();
  return false;
}

}  // namespace taskdaemon
