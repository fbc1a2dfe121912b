// When an instance that is a program, not Node (DESIGN.md §9), is ready:
// --ready exec once it exec'd; notify once READY=1 arrives on its own $NOTIFY_SOCKET (a datagram
// socket in a fresh 0700 directory, as `start --ready notify` makes one);
// tcp:HOST:PORT or unix:PATH once the address accepts a connection, tried
// with a pause growing from 10 to 100 ms. The supervisor's --ready-timeout
// stops one that never gets there; one that ends first fails with what it said.
// See: man 3 sd_notify, man 7 unix, man 2 connect (EINPROGRESS), man 3 getaddrinfo
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include "supervisor.h"

namespace taskdaemon::sv {

void Supervisor::OpenNotifySocket(const InstancePtr& inst) {
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/taskdaemon-notify-XXXXXX";
  if (!mkdtemp(&dir[0])) throw std::runtime_error(std::string("mkdtemp ") + dir + ": " + strerror(errno));
  std::string path = dir + "/notify";
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  int fd = -1;
  int err = ENAMETOOLONG;
  if (path.size() < sizeof sa.sun_path) {
    memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    err = errno;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0) {
    rmdir(dir.c_str());
    throw std::runtime_error("bind " + path + ": " + strerror(err));
  }
  inst->notify_fd = fd;
  inst->notify_dir = dir;
}

void Supervisor::CloseNotify(const InstancePtr& inst) {
  if (inst->notify_fd < 0) return;
  loop.Unwatch(inst->notify_fd);
  close(inst->notify_fd);
  inst->notify_fd = -1;
  unlink((inst->notify_dir + "/notify").c_str());
  rmdir(inst->notify_dir.c_str());
}

void Supervisor::ProgramReady(const InstancePtr& inst) {
  CloseNotify(inst);
  EndProbe(inst);
  if (!inst->alive() || inst->state != "starting") return;
  inst->state = "ready";
  inst->ready_at = WallMs();
  SettleReady(inst, true, "");
}

void Supervisor::AwaitProgramReady(const InstancePtr& inst) {
  std::weak_ptr<Instance> weak = inst;
  if (plan.ready_kind == "notify") {
    loop.Watch(inst->notify_fd, POLLIN, [this, weak](short) {
      if (auto i = weak.lock()) ReadNotify(i);
    });
  } else if (plan.ready_kind == "tcp" || plan.ready_kind == "unix") {
    loop.Defer([this, weak] {
      if (auto i = weak.lock()) ProbeAddress(i);
    });
  } else {
    // exec'd: that is all a program without the runtime can tell.
    loop.Defer([this, weak] {
      if (auto i = weak.lock()) ProgramReady(i);
    });
  }
}

// Every queued datagram: READY=1, STATUS=, ERRNO= (systemd reads at most 4096 bytes of one).
void Supervisor::ReadNotify(const InstancePtr& inst) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(inst->notify_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    bool ready = false;
    std::string msg(buf, static_cast<size_t>(n));
    size_t start = 0;
    while (start < msg.size()) {
      size_t nl = msg.find('\n', start);
      std::string line = msg.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      start = nl == std::string::npos ? msg.size() : nl + 1;
      size_t eq = line.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      std::string key = line.substr(0, eq), value = line.substr(eq + 1);
      if (key == "READY" && value == "1") ready = true;
      else if (key == "STATUS") inst->notify_status = value;
      else if (key == "ERRNO" && !value.empty() && value.find_first_not_of("0123456789") == std::string::npos) inst->notify_errno = atoi(value.c_str());
    }
    if (ready) return ProgramReady(inst);
  }
}

// What a notify program said, for the message when it ends before READY=1 (src/notify-socket.ts describeNotify).
std::string NotifyNote(const Instance& inst) {
  std::string out;
  if (!inst.notify_status.empty()) out += "its last STATUS: " + inst.notify_status;
  if (inst.notify_errno >= 0) {
    // ERRNO=0 names no error.
    std::string what = inst.notify_errno > 0 ? ErrnoText(inst.notify_errno) : "errno " + std::to_string(inst.notify_errno);
    out += (out.empty() ? "" : "; ") + ("ERRNO=" + std::to_string(inst.notify_errno) + " (" + what + ")");
  }
  return out;
}

void Supervisor::EndProbe(const InstancePtr& inst) {
  loop.Cancel(inst->probe_timer);
  if (inst->probe_fd < 0) return;
  loop.Unwatch(inst->probe_fd);
  close(inst->probe_fd);
  inst->probe_fd = -1;
}

// One try: a non-blocking connect, ready when it completes; refused (or no
// such file) means not yet, and the next try follows a pause.
void Supervisor::ProbeAddress(const InstancePtr& inst) {
  if (!inst->alive() || inst->state != "starting") return;
  std::weak_ptr<Instance> weak = inst;
  auto again = [this, weak] {
    auto i = weak.lock();
    if (!i) return;
    EndProbe(i);
    if (!i->alive() || i->state != "starting") return;
    int64_t pause = i->probe_pause_ms;
    i->probe_pause_ms = std::min<int64_t>(pause * 2, 100);
    i->probe_timer = loop.After(pause, [this, weak] {
      if (auto j = weak.lock()) {
        j->probe_timer = 0;
        ProbeAddress(j);
      }
    });
  };
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (plan.ready_kind == "unix") {
    auto* sa = reinterpret_cast<sockaddr_un*>(&ss);
    sa->sun_family = AF_UNIX;
    const std::string& p = plan.ready_path;
    if (p.size() >= sizeof sa->sun_path) return again();
    memcpy(sa->sun_path, p.data(), p.size());
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size());
    if (!p.empty() && p[0] == '@') sa->sun_path[0] = '\0';  // abstract: no trailing NUL counted
    else len += 1;
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (getaddrinfo(plan.ready_host.c_str(), std::to_string(plan.ready_port).c_str(), &hints, &res) != 0 || !res) return again();
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return again();
  inst->probe_fd = fd;
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  if (rc == 0) return ProgramReady(inst);
  if (errno != EINPROGRESS && errno != EAGAIN) return again();
  // A connect that hangs (a full backlog, a filtered port) is given up after 1 s.
  inst->probe_timer = loop.After(1000, again);
  loop.Watch(fd, POLLOUT, [this, weak, again](short) {
    auto i = weak.lock();
    if (!i || i->probe_fd < 0) return;
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(i->probe_fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err == 0) return ProgramReady(i);
    again();
  });
}

}  // namespace taskdaemon::sv
