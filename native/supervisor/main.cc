// taskdaemon-supervisor: what `start --restart/--listen/--instances` execs
// (DESIGN.md §8) instead of a node. It takes over what `start` handed down
// (the readiness pipe, the pidfile lock, the control socket, the --listen
// sockets; plan.cc), then runs the instances until it is stopped or none is
// left, and on its way out releases the pidfile as the runtime does
// (src/pidfile.ts releasePidfile). Signals arrive on a signalfd, read by the
// same loop as everything else. See: man 2 signalfd, man 2 flock
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include "plan.h"
#include "rpc.h"
#include "supervisor.h"

using namespace taskdaemon::sv;

namespace {

void CloseOnExec(int fd) {
  if (fd >= 0) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

// The control socket, then the pidfile emptied and removed if it is still ours.
void ReleasePidfile(const Plan& p) {
  if (p.lock_fd < 0 || p.pidfile.empty()) return;
  unlink(p.control_path.c_str());
  if (ftruncate(p.lock_fd, 0) != 0) {
    // read-only: the unlink below may still work
  }
  struct stat held, now;
  if (fstat(p.lock_fd, &held) == 0 && lstat(p.pidfile.c_str(), &now) == 0 && held.st_dev == now.st_dev && held.st_ino == now.st_ino) unlink(p.pidfile.c_str());
}

}  // namespace

int main() {
  std::string why;
  std::optional<Plan> plan = TakePlan(why);
  if (!plan) {
    dprintf(2, "taskdaemon supervisor: %s\n", why.c_str());
    return 2;
  }
  // Inherited for the exec; an instance gets only what SpawnChildProcess gives it.
  for (int fd : {plan->ready_fd, plan->control_fd, plan->lock_fd}) CloseOnExec(fd);
  for (auto& l : plan->listen) CloseOnExec(l.fd);

  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) {
    perror("taskdaemon supervisor: signalfd");
    return 2;
  }

  Loop loop;
  const int control_fd = plan->control_fd;
  Supervisor sup(std::move(*plan), loop);
  loop.Watch(sfd, POLLIN, [&sup, sfd](short) {
    signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) sup.OnSignal(static_cast<int>(si.ssi_signo));
  });
  // Answers from the first moment, so `status` sees "starting".
  if (control_fd >= 0) StartRpcServer(control_fd, sup);
  loop.Defer([&sup] { sup.Start(); });
  loop.Run();

  sup.Leave();
  const int code = sup.exit_code < 0 ? 1 : sup.exit_code;
  if (sup.plan.ready_fd >= 0) SendRecord(sup.plan.ready_fd, {{"EXIT", std::to_string(code)}, {"MAINPID", std::to_string(getpid())}});
  ReleasePidfile(sup.plan);
  return code;
}
