// Children of a long-lived taskdaemon process (the supervisor's app instances,
// the app under `run` as a container's PID 1): a CLONE_VM|CLONE_VFORK clone
// (signal-safe.h, CloneVfork; the caller waits until the child has exec'd or
// failed), then in the child only async-signal-safe calls (man 7
// signal-safety) up to execve, with the same fd
// hygiene as a daemon: fds 0..n-1 are exactly the ones asked for (stdio, then
// the LISTEN_FDS sockets from fd 3 and the readiness pipe), every other fd is
// closed, and LISTEN_PID names the child itself, as systemd sets it. A failed
// step before execve comes back to the parent as { errno, syscall } through a
// close-on-exec pipe (end of file on it means the execve succeeded). Children
// are reaped with waitpid(2), by pid or, for PID 1 (or a subreaper), any.
// See: man 2 clone, man 2 execve, man 2 waitpid, man 3 sd_listen_fds, man 2 close_range, man 2 prctl
#include "child-spawn.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include "exec-vector.h"
#include "signal-safe.h"
#include "steps.h"

namespace taskdaemon {

namespace {

struct ChildSpec {
  std::string file, cwd;
  std::vector<std::string> argv_s, envp_s;
  std::vector<char*> argv, envp;
  std::vector<int> fds;   // the child's fd i is fds[i]; -1: closed in the child
  int max_fd = 1024;      // CloseFds' fallback bound, read before the clone
  int listen_pid = -1;    // index in envp of "LISTEN_PID=", completed with the child's pid
  int report_fd = -1;     // write end of the close-on-exec failure pipe
  int death_signal = 0;   // PR_SET_PDEATHSIG: sent to the child when the parent dies (0: none)
  pid_t parent = 0;       // the forking process, to see whether it died before prctl took effect
};

struct ChildFailure {
  int step;
  int err;
};

[[noreturn]] TD_CHILD void ChildFail(const ChildSpec& s, Step step, int err) {
  ChildFailure f = {static_cast<int>(step), err};
  WriteAll(s.report_fd, reinterpret_cast<const char*>(&f), sizeof f);
  _exit(127);
}

// The child: never returns.
[[noreturn]] TD_CHILD void BecomeChild(ChildSpec& s) {
  ResetSignalDispositions();
  // A supervisor killed outright (SIGKILL) must not leave its instances behind
  // (man 2 PR_SET_PDEATHSIG). If it died before this took effect, we were
  // already re-parented: give up the same way.
  if (s.death_signal > 0) {
    if (prctl(PR_SET_PDEATHSIG, s.death_signal) != 0) ChildFail(s, Step::PRCTL, errno);
    if (getppid() != s.parent) ChildFail(s, Step::PRCTL, ESRCH);
  }
  if (!s.cwd.empty() && chdir(s.cwd.c_str()) != 0) ChildFail(s, Step::CHDIR, errno);

  // Move every source above the targets first, so a dup2 never overwrites a
  // source still to come; the report pipe goes up there too.
  const int n = static_cast<int>(s.fds.size());
  int floor = n + 3;
  int report = fcntl(s.report_fd, F_DUPFD_CLOEXEC, floor);
  if (report < 0) ChildFail(s, Step::DUP2, errno);
  s.report_fd = report;
  floor = report + 1;
  // The caller's Spec, rewritten in place: allocated before the clone, and not read by the caller after it.
  std::vector<int>& src = s.fds;
  for (int i = 0; i < n; i++) {
    if (src[i] < 0) continue;
    int high = fcntl(src[i], F_DUPFD_CLOEXEC, floor);
    if (high < 0) ChildFail(s, Step::DUP2, errno);
    src[i] = high;
    floor = high + 1;
  }
  for (int i = 0; i < n; i++) {
    if (src[i] < 0) close(i);  // asked to be closed: nothing of the parent's stays at i
    else if (dup2(src[i], i) < 0) ChildFail(s, Step::DUP2, errno);  // dup2 clears CLOEXEC
  }
  // Everything from n on goes, but the report pipe (CLOEXEC: closed by execve).
  if (int err = CloseFds(static_cast<unsigned>(n), static_cast<unsigned>(report) - 1, s.max_fd)) ChildFail(s, Step::CLOSE_RANGE, err);
  if (int err = CloseFds(static_cast<unsigned>(report) + 1, ~0U, s.max_fd)) ChildFail(s, Step::CLOSE_RANGE, err);

  if (s.listen_pid >= 0) {
    char* slot = s.envp[s.listen_pid] + strlen("LISTEN_PID=");
    size_t len = AppendUint(slot, 0, 24, static_cast<unsigned long>(getpid()));
    slot[len] = '\0';
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(s.file.c_str(), s.argv.data(), s.envp.data());
  ChildFail(s, Step::EXECVE, errno);
}

TD_CHILD int ChildMain(void* spec) { BecomeChild(*static_cast<ChildSpec*>(spec)); }

}  // namespace

ChildStart SpawnChildProcess(const ChildRequest& req) {
  ChildSpec s;
  s.file = req.file;
  s.cwd = req.cwd;
  s.argv_s = req.argv;
  s.envp_s = req.envp;
  s.fds = req.fds;
  if (req.listen_pid) {
    for (size_t i = 0; i < s.envp_s.size(); i++) {
      if (s.envp_s[i].rfind("LISTEN_PID=", 0) == 0) {
        s.envp_s[i].resize(strlen("LISTEN_PID=") + 24, '\0');  // room for the child's pid
        s.listen_pid = static_cast<int>(i);
      }
    }
  }
  s.death_signal = req.death_signal;
  s.parent = getpid();
  FinishVector(s.argv_s, s.argv);
  FinishVector(s.envp_s, s.envp);

  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return {-1, "pipe2", errno};
  s.report_fd = report[1];
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  s.max_fd = MaxFdBeforeFork();
  ChildStack stack;
  pid_t pid = CloneVfork(ChildMain, &s, stack);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    return {-1, "fork", fork_errno};
  }
  // Blocks only until the child's execve (end of file) or its failure report.
  ChildFailure f;
  ssize_t got;
  do got = read(report[0], &f, sizeof f); while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof f)) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return {-1, kStepNames[f.step], f.err};
  }
  return {pid, nullptr, 0};
}

}  // namespace taskdaemon
