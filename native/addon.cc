// Entry point of the native addon: each concern lives in its own file and
// registers its functions here. See DESIGN.md §1 for why this addon exists.
#include "errors.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  taskdaemon::InitSpawn(env, exports);
  taskdaemon::InitPidlock(env, exports);
  taskdaemon::InitPidfd(env, exports);
  taskdaemon::InitUsers(env, exports);
  taskdaemon::InitFds(env, exports);
  taskdaemon::InitNotify(env, exports);
  taskdaemon::InitLimits(env, exports);
  taskdaemon::InitControl(env, exports);
  taskdaemon::InitChild(env, exports);
  taskdaemon::InitPoll(env, exports);
  taskdaemon::InitControlCall(env, exports);
  taskdaemon::InitExitNow(env, exports);
  taskdaemon::InitBackoffProbe(env, exports);
  return exports;
}

NODE_API_MODULE(taskdaemon, Init)
