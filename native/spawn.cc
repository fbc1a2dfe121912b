// The start sequence of DESIGN.md §2: fork, setsid, fork, then in the
// daemon-to-be reset signals, umask, chdir, redirect fds, drop privileges,
// write its pid into the locked pidfile, close every other fd and execve a
// fresh node. Node's heap is MADV_DONTFORK and the process is multi-threaded,
// so no JavaScript may run in a forked child: everything that allocates or
// reads files is prepared in the parent (Spec), and the children call only
// async-signal-safe functions (man 7 signal-safety) and _exit(2). Both forks
// are CLONE_VM|CLONE_VFORK clones (signal-safe.h, CloneVfork): the children
// share the caller's memory, write only their own stacks, and the caller
// waits until the daemon-to-be has exec'd (or failed) and the intermediate
// has exited, which it does at once.
// See: man 2 fork, man 2 clone, man 2 setsid, man 7 daemon, man 2 close_range, man 2 execve
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>
#include "errors.h"
#include "argv.h"
#include "signal-safe.h"
#include "steps.h"

namespace taskdaemon {

namespace {

// Everything the children need, built before the first fork.
struct Spec {
  std::string file, cwd;
  std::vector<std::string> argv_s, envp_s;
  std::vector<char*> argv, envp;
  mode_t umask_value = 022;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  bool set_groups = false, set_gid = false, set_uid = false;
  std::vector<gid_t> groups;
  gid_t gid = 0;
  uid_t uid = 0;
  int lock_fd = -1, ready_fd = -1;
  std::vector<int> keep;  // sorted, all > 2: survive the close-all, CLOEXEC cleared
  // keep, plus the ready pipe when it must reach execve still close-on-exec
  // (a program without the runtime: end of file then means execve succeeded).
  std::vector<int> survive;
  struct Limit { int resource; struct rlimit value; };
  std::vector<Limit> limits;
  bool set_nice = false;
  int nice_value = 0;
  // Files the daemon must read after the drop (boot script, entry), each with
  // the step its failure reports: better than node's own error after exec.
  std::vector<std::pair<std::string, Step>> readable;
  int max_fd = 1024;      // close loop bound when close_range(2) is missing
  // Write end of a pipe to the starter only: the intermediate child puts the
  // daemon's pid there, so the starter knows it the moment daemonize returns.
  int pid_fd = -1;
  // What the daemon-to-be runs on until its execve (the intermediate has its own).
  const ChildStack* daemon_stack = nullptr;
};

// One record on the ready pipe, sd_notify style (KEY=VALUE lines, blank line
// ends it). ERRNO=0 means the step succeeded where it had to fail. Steps are
// named only from native/steps.h, the list TypeScript reads too.
TD_CHILD void Report(int fd, Step step, int err) {
  char buf[128];
  size_t n = Append(buf, 0, sizeof buf, "STEP=");
  n = Append(buf, n, sizeof buf, StepName(step));
  n = Append(buf, n, sizeof buf, "\nERRNO=");
  n = AppendUint(buf, n, sizeof buf, static_cast<unsigned long>(err));
  n = Append(buf, n, sizeof buf, "\n\n");
  WriteAll(fd, buf, n);
}

[[noreturn]] TD_CHILD void Fail(const Spec& s, Step step, int err) {
  Report(s.ready_fd, step, err);
  _exit(127);
}

// Credential changes as raw syscalls. glibc's setuid() and friends broadcast
// the change to every thread it knows of (SIGSETXID, futex waits); after
// _Fork its thread list still names the parent's threads. Our child has one
// thread, so the plain syscall is the whole job. (32-bit ABIs name them *32.)
#ifdef SYS_setuid32
#define TD_SYS_SETUID SYS_setuid32
#define TD_SYS_SETGID SYS_setgid32
#define TD_SYS_SETGROUPS SYS_setgroups32
#else
#define TD_SYS_SETUID SYS_setuid
#define TD_SYS_SETGID SYS_setgid
#define TD_SYS_SETGROUPS SYS_setgroups
#endif

TD_CHILD int RawSetuid(uid_t uid) { return static_cast<int>(syscall(TD_SYS_SETUID, uid)); }
TD_CHILD int RawSetgid(gid_t gid) { return static_cast<int>(syscall(TD_SYS_SETGID, gid)); }
TD_CHILD int RawSetgroups(size_t n, const gid_t* groups) { return static_cast<int>(syscall(TD_SYS_SETGROUPS, n, groups)); }

// Every fd from lo to hi closed (signal-safe.h), or the start fails naming close_range.
TD_CHILD void CloseRange(const Spec& s, unsigned lo, unsigned hi) {
  if (int err = CloseFds(lo, hi, s.max_fd)) Fail(s, Step::CLOSE_RANGE, err);
}

// pwrite(2) until all n bytes are written: a short count carries no errno (a
// stale one would lie), so the next call either writes the rest or says why.
TD_CHILD int PwriteAll(int fd, const char* buf, size_t n, off_t off) {
  while (n > 0) {
    ssize_t w = pwrite(fd, buf, n, off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return EIO;  // no progress and no error: do not spin
    buf += w;
    off += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

// The daemon-to-be (second child). Never returns.
[[noreturn]] TD_CHILD void BecomeDaemon(const Spec& s) {
  ResetSignalDispositions();

  umask(s.umask_value);
  if (!s.cwd.empty() && chdir(s.cwd.c_str()) != 0) Fail(s, Step::CHDIR, errno);

  if (dup2(s.stdin_fd, 0) < 0) Fail(s, Step::DUP2, errno);
  if (dup2(s.stdout_fd, 1) < 0) Fail(s, Step::DUP2, errno);
  if (dup2(s.stderr_fd, 2) < 0) Fail(s, Step::DUP2, errno);

  // Limits and priority first: raising them needs the privilege we drop next.
  for (const auto& l : s.limits)
    if (setrlimit(l.resource, &l.value) != 0) Fail(s, Step::SETRLIMIT, errno);
  if (s.set_nice && setpriority(PRIO_PROCESS, 0, s.nice_value) != 0) Fail(s, Step::SETPRIORITY, errno);

  // Order matters: groups and gid need privilege, so they go before setuid.
  if (s.set_groups && RawSetgroups(s.groups.size(), s.groups.data()) != 0) Fail(s, Step::SETGROUPS, errno);
  if (s.set_gid && RawSetgid(s.gid) != 0) Fail(s, Step::SETGID, errno);
  if (s.set_uid && RawSetuid(s.uid) != 0) Fail(s, Step::SETUID, errno);
  // No way back: regaining root must fail once it was dropped. If it
  // succeeds (capabilities kept, e.g. SECBIT_NO_SETUID_FIXUP), the record says
  // so with ERRNO=0: "this call succeeded and must not have".
  if (s.set_uid && s.uid != 0 && RawSetuid(0) == 0) Fail(s, Step::SETUID_ROOT, 0);
  if (s.set_gid && s.gid != 0 && s.set_uid && s.uid != 0 && RawSetgid(0) == 0) Fail(s, Step::SETGID_ROOT, 0);

  // O_NONBLOCK: a FIFO in place of the entry must not hold the starter, which
  // waits in daemonize() until this child has exec'd; node then blocks on it
  // instead, and the start ends at --ready-timeout as for any app that hangs.
  for (const auto& r : s.readable) {
    int fd = open(r.first.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) Fail(s, r.second, errno);
    close(fd);
  }

  for (int fd : s.keep) {
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0) Fail(s, Step::FCNTL, errno);
  }

  // The pidfile is complete before the starter returns (systemd reads it at once).
  if (s.lock_fd >= 0) {
    char buf[24];
    size_t n = AppendUint(buf, 0, sizeof buf, static_cast<unsigned long>(getpid()));
    n = Append(buf, n, sizeof buf, "\n");
    if (ftruncate(s.lock_fd, 0) != 0) Fail(s, Step::FTRUNCATE, errno);
    if (int err = PwriteAll(s.lock_fd, buf, n, 0)) Fail(s, Step::PWRITE, err);
    if (fsync(s.lock_fd) != 0) Fail(s, Step::FSYNC, errno);
  }

  // Close every fd we did not choose to pass: nothing inherited reaches the daemon.
  unsigned lo = 3;
  for (int fd : s.survive) {
    if (static_cast<unsigned>(fd) > lo) CloseRange(s, lo, static_cast<unsigned>(fd) - 1);
    lo = static_cast<unsigned>(fd) + 1;
  }
  CloseRange(s, lo, ~0U);

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(s.file.c_str(), s.argv.data(), s.envp.data());
  Fail(s, Step::EXECVE, errno);
}

TD_CHILD int DaemonMain(void* spec) { BecomeDaemon(*static_cast<const Spec*>(spec)); }

// The intermediate child: leaves the caller's session, clones the daemon-to-be,
// waits (CLONE_VFORK) until it has exec'd or failed, and tells the starter its
// pid. Exiting makes the daemon an orphan (reparented to init or the nearest
// subreaper) that is not a session leader.
[[noreturn]] TD_CHILD void Intermediate(const Spec& s) {
  if (setsid() < 0) { Report(s.ready_fd, Step::SETSID, errno); _exit(1); }
  pid_t pid = CloneVfork(DaemonMain, const_cast<Spec*>(&s), *s.daemon_stack);
  if (pid < 0) { Report(s.ready_fd, Step::FORK, errno); _exit(1); }
  WriteAll(s.pid_fd, reinterpret_cast<const char*>(&pid), sizeof pid);
  char buf[32];
  size_t n = Append(buf, 0, sizeof buf, "MAINPID=");
  n = AppendUint(buf, n, sizeof buf, static_cast<unsigned long>(pid));
  n = Append(buf, n, sizeof buf, "\n\n");
  WriteAll(s.ready_fd, buf, n);
  _exit(0);
}

TD_CHILD int IntermediateMain(void* spec) { Intermediate(*static_cast<const Spec*>(spec)); }

// --- parent side: reading the spec from JavaScript ---

int IntProp(Napi::Object o, const char* key, int dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
}

// Every step of native/steps.h with its syscall, for the lookups below.
struct StepEntry { Step step; const char* name; const char* syscall; };
const StepEntry kSteps[] = {
#define TD_STEP_ENTRY(id, name, syscall) {Step::id, name, syscall},
    TD_SETUP_STEPS(TD_STEP_ENTRY)
#undef TD_STEP_ENTRY
};

// The open step TypeScript named for a readable file; false if the list has no such open step.
bool OpenStepByName(const std::string& name, Step* out) {
  for (const auto& e : kSteps)
    if (name == e.name && std::strcmp(e.syscall, "open") == 0) { *out = e.step; return true; }
  return false;
}

}  // namespace

// daemonize(spec) -> { pid: intermediate pid, status: its exit code, daemonPid } | { errno, syscall }
// daemonPid is 0 when the second fork failed. Any failure of the daemon's
// setup, and its readiness, arrive on spec.readyFd. With spec.readyOnExec the
// ready pipe is not passed on (a program without the runtime): it stays open
// up to execve and closes there, so end of file says execve succeeded. A readable file whose step
// is not an open step of native/steps.h is refused (EINVAL) before any fork.
static Napi::Value Daemonize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  Napi::Object o = info[0].As<Napi::Object>();

  Spec s;
  s.file = o.Get("file").As<Napi::String>().Utf8Value();
  s.cwd = o.Get("cwd").As<Napi::String>().Utf8Value();
  s.argv_s = Strings(o.Get("argv").As<Napi::Array>());
  s.envp_s = Strings(o.Get("envp").As<Napi::Array>());
  FinishVector(s.argv_s, s.argv);
  FinishVector(s.envp_s, s.envp);
  s.umask_value = static_cast<mode_t>(IntProp(o, "umask", 022));
  s.stdin_fd = IntProp(o, "stdin", -1);
  s.stdout_fd = IntProp(o, "stdout", -1);
  s.stderr_fd = IntProp(o, "stderr", -1);
  s.lock_fd = IntProp(o, "lockFd", -1);
  s.ready_fd = IntProp(o, "readyFd", -1);
  int uid = IntProp(o, "uid", -1), gid = IntProp(o, "gid", -1);
  if (uid >= 0) { s.set_uid = true; s.uid = static_cast<uid_t>(uid); }
  if (gid >= 0) { s.set_gid = true; s.gid = static_cast<gid_t>(gid); }
  Napi::Value groups = o.Get("groups");
  if (groups.IsArray()) {
    s.set_groups = true;
    Napi::Array g = groups.As<Napi::Array>();
    for (uint32_t i = 0; i < g.Length(); i++) s.groups.push_back(g.Get(i).As<Napi::Number>().Uint32Value());
  }
  Napi::Value limits = o.Get("rlimits");
  if (limits.IsArray()) {
    Napi::Array a = limits.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object l = a.Get(i).As<Napi::Object>();
      int res = ResourceByName(l.Get("resource").As<Napi::String>().Utf8Value());
      if (res < 0) return Failure(env, "setrlimit", EINVAL);
      double soft = l.Get("soft").As<Napi::Number>().DoubleValue(), hard = l.Get("hard").As<Napi::Number>().DoubleValue();
      Spec::Limit lim;
      lim.resource = res;
      lim.value.rlim_cur = soft < 0 ? RLIM_INFINITY : static_cast<rlim_t>(soft);
      lim.value.rlim_max = hard < 0 ? RLIM_INFINITY : static_cast<rlim_t>(hard);
      s.limits.push_back(lim);
    }
  }
  Napi::Value nice = o.Get("nice");
  if (nice.IsNumber()) { s.set_nice = true; s.nice_value = nice.As<Napi::Number>().Int32Value(); }
  Napi::Value readable = o.Get("readable");
  if (readable.IsArray()) {
    Napi::Array a = readable.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object r = a.Get(i).As<Napi::Object>();
      Step step;
      if (!OpenStepByName(r.Get("step").As<Napi::String>().Utf8Value(), &step)) return Failure(env, "daemonize", EINVAL);
      s.readable.emplace_back(r.Get("path").As<Napi::String>().Utf8Value(), step);
    }
  }
  Napi::Array keep = o.Get("keepFds").As<Napi::Array>();
  for (uint32_t i = 0; i < keep.Length(); i++) s.keep.push_back(keep.Get(i).As<Napi::Number>().Int32Value());
  std::sort(s.keep.begin(), s.keep.end());
  s.keep.erase(std::unique(s.keep.begin(), s.keep.end()), s.keep.end());
  s.survive = s.keep;
  if (o.Get("readyOnExec").ToBoolean().Value()) {
    s.survive.push_back(s.ready_fd);
    std::sort(s.survive.begin(), s.survive.end());
    s.survive.erase(std::unique(s.survive.begin(), s.survive.end()), s.survive.end());
  }

  if (s.stdin_fd < 3 || s.stdout_fd < 3 || s.stderr_fd < 3 || s.ready_fd < 3 ||
      (!s.keep.empty() && s.keep.front() < 3))
    return Failure(env, "daemonize", EBADF);  // fds 0-2 are overwritten by dup2: refuse
  s.max_fd = MaxFdBeforeFork();

  int pid_pipe[2];
  // Non-blocking: the read below must not wait for a daemon that still holds the write end.
  if (pipe2(pid_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return Failure(env, "pipe2", errno);
  s.pid_fd = pid_pipe[1];

  ChildStack intermediate_stack, daemon_stack;
  s.daemon_stack = &daemon_stack;
  // Block every signal so no Node handler can run in a child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // Returns once the intermediate has exited: the daemon-to-be has exec'd or failed by then.
  pid_t pid = CloneVfork(IntermediateMain, &s, intermediate_stack);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(pid_pipe[1]);
  if (pid < 0) {
    close(pid_pipe[0]);
    return Failure(env, "fork", fork_errno);
  }

  int status = 0;
  pid_t w;
  do w = waitpid(pid, &status, 0); while (w < 0 && errno == EINTR);
  int wait_errno = errno;
  // The intermediate has exited (or we could not wait): its write end is
  // closed, so this read returns the pid it wrote, or end of file.
  pid_t daemon_pid = 0;
  ssize_t got;
  do got = read(pid_pipe[0], &daemon_pid, sizeof daemon_pid); while (got < 0 && errno == EINTR);
  close(pid_pipe[0]);
  if (got != static_cast<ssize_t>(sizeof daemon_pid)) daemon_pid = 0;
  if (w < 0) return Failure(env, "waitpid", wait_errno);

  Napi::Object r = Napi::Object::New(env);
  r.Set("pid", Napi::Number::New(env, pid));
  r.Set("daemonPid", Napi::Number::New(env, daemon_pid));
  r.Set("status", Napi::Number::New(env, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
  return r;
}

// The step list this build was compiled with, [name, syscall] each: a test
// holds it against generated/steps.js, so the two can never disagree unseen.
static Napi::Array SetupSteps(Napi::Env env) {
  Napi::Array list = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& e : kSteps) {
    Napi::Array pair = Napi::Array::New(env);
    pair.Set(0u, Napi::String::New(env, e.name));
    pair.Set(1u, Napi::String::New(env, e.syscall));
    list.Set(i++, pair);
  }
  return list;
}

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("daemonize", Napi::Function::New(env, Daemonize, "daemonize"));
  exports.Set("setupSteps", SetupSteps(env));
}

}  // namespace taskdaemon
