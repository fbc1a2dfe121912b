// Error convention shared by every native file: a call returns its result, or
// -errno (a negative number) where one syscall can fail, or
// { errno: -errno, syscall } where several can. TypeScript (src/errors.ts)
// turns these into Node-style SystemErrors; nothing here throws.
#pragma once
#include <napi.h>
#include <string>

namespace taskdaemon {

// { errno: -err, syscall } for multi-step calls.
Napi::Object Failure(Napi::Env env, const char* syscall, int err);

// Argument checks throw a TypeError: those are programming errors in our own TS.
bool ExpectArgs(const Napi::CallbackInfo& info, size_t n);

// From limits.cc: "nofile" -> RLIMIT_NOFILE ..., -1 when unknown; -1 value -> RLIM_INFINITY.
int ResourceByName(const std::string& name);

void InitSpawn(Napi::Env env, Napi::Object exports);
void InitPidlock(Napi::Env env, Napi::Object exports);
void InitPidfd(Napi::Env env, Napi::Object exports);
void InitUsers(Napi::Env env, Napi::Object exports);
void InitFds(Napi::Env env, Napi::Object exports);
void InitNotify(Napi::Env env, Napi::Object exports);
void InitLimits(Napi::Env env, Napi::Object exports);
void InitControl(Napi::Env env, Napi::Object exports);
void InitChild(Napi::Env env, Napi::Object exports);
void InitPoll(Napi::Env env, Napi::Object exports);
void InitControlCall(Napi::Env env, Napi::Object exports);
void InitExitNow(Napi::Env env, Napi::Object exports);
void InitBackoffProbe(Napi::Env env, Napi::Object exports);

}  // namespace taskdaemon
