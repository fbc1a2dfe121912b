// The one list of setup steps between fork and execve (native/spawn.cc), for
// C++ and TypeScript alike. A failed step is reported on the readiness pipe as
// STEP=<name>; TypeScript looks the name up in generated/steps.js, which
// scripts/compile-steps.js writes from this file (run by `npm run compile`),
// to build one SetupError (src/errors.ts) with the step's syscall.
//
// One line per step, in the order the children take them:
//   TD_STEP(IDENTIFIER, "name on the pipe", "syscall")
// The script reads exactly that shape: keep one TD_STEP per line.
#pragma once

#define TD_SETUP_STEPS(TD_STEP)                              \
  TD_STEP(SETSID, "setsid", "setsid")                        \
  TD_STEP(FORK, "fork", "fork")                              \
  TD_STEP(PRCTL, "prctl", "prctl")                           \
  TD_STEP(CHDIR, "chdir", "chdir")                           \
  TD_STEP(DUP2, "dup2", "dup2")                              \
  TD_STEP(SETRLIMIT, "setrlimit", "setrlimit")               \
  TD_STEP(SETPRIORITY, "setpriority", "setpriority")         \
  TD_STEP(SETGROUPS, "setgroups", "setgroups")               \
  TD_STEP(SETGID, "setgid", "setgid")                        \
  TD_STEP(SETUID, "setuid", "setuid")                        \
  TD_STEP(SETUID_ROOT, "setuid(0)", "setuid")                \
  TD_STEP(SETGID_ROOT, "setgid(0)", "setgid")                \
  TD_STEP(OPEN_BOOT_SCRIPT, "open(boot script)", "open")     \
  TD_STEP(OPEN_ENTRY, "open(entry)", "open")                 \
  TD_STEP(FCNTL, "fcntl", "fcntl")                           \
  TD_STEP(FTRUNCATE, "ftruncate", "ftruncate")               \
  TD_STEP(PWRITE, "pwrite", "pwrite")                        \
  TD_STEP(FSYNC, "fsync", "fsync")                           \
  TD_STEP(CLOSE_RANGE, "close_range", "close_range")         \
  TD_STEP(EXECVE, "execve", "execve")

namespace taskdaemon {

enum class Step {
#define TD_STEP_ENUM(id, name, syscall) id,
  TD_SETUP_STEPS(TD_STEP_ENUM)
#undef TD_STEP_ENUM
};

// The name each step reports on the pipe, by Step: string literals in a
// constant table, so reading one is async-signal-safe.
inline constexpr const char* kStepNames[] = {
#define TD_STEP_NAME(id, name, syscall) name,
    TD_SETUP_STEPS(TD_STEP_NAME)
#undef TD_STEP_NAME
};

inline const char* StepName(Step step) { return kStepNames[static_cast<int>(step)]; }

}  // namespace taskdaemon
