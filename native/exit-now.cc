// exitNow(code): end the process at once. For a process whose output is
// written (synchronously) and whose 'exit' listeners have all run: node's own
// teardown after that (stopping its threads, freeing the heap) only delays the
// end, by about 3 ms per command and per stopped daemon (bench/RESULTS.md).
#include <unistd.h>

#include "errors.h"

namespace taskdaemon {

static Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 1)) return info.Env().Undefined();
  if (!info[0].IsNumber()) {
    Napi::TypeError::New(info.Env(), "taskdaemon native: exitNow takes an exit code").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  _exit(info[0].As<Napi::Number>().Int32Value() & 0xff);  // man 2 _exit: no atexit handlers, no stdio flush
}

void InitExitNow(Napi::Env env, Napi::Object exports) {
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow"));
}

}  // namespace taskdaemon
