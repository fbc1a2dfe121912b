// --watch-config of a supervised daemon (src/runtime/config-watch.ts): a
// change to the file reloads every instance, as SIGHUP does, debounced so an
// editor's burst of writes is one reload. The directory is watched (editors
// replace files by rename). Where inotify cannot be had, a stat every second.
// See: man 7 inotify
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include "supervisor.h"

namespace taskdaemon::sv {

namespace {

constexpr int64_t kDebounceMs = 200;

struct ConfigWatch {
  Supervisor& sup;
  std::string dir, base;
  uint64_t debounce = 0;
  std::string last;  // the polled look: ino, size, mtime

  void Fire() {
    sup.loop.Cancel(debounce);
    debounce = sup.loop.After(kDebounceMs, [this] {
      debounce = 0;
      if (sup.phase != "stopping" && sup.phase != "stopped" && sup.phase != "failed") sup.reloads.Request("config change");
    });
  }

  std::string Look(const std::string& file) {
    struct stat st;
    if (stat(file.c_str(), &st) != 0) return errno == ENOENT ? "missing" : strerror(errno);
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }

  void Poll(const std::string& file) {
    sup.loop.After(1000, [this, file] {
      std::string now = Look(file);
      if (now != last) {
        last = now;
        Fire();
      }
      Poll(file);
    });
  }
};

}  // namespace

void Supervisor::WatchConfig() {
  const std::string& file = plan.watch_config;
  size_t slash = file.rfind('/');
  auto* w = new ConfigWatch{*this, slash == 0 ? "/" : file.substr(0, slash), file.substr(slash + 1), 0, ""};  // lives as long as the process
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0 || inotify_add_watch(fd, w->dir.c_str(), IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
    log.Warn("watch-fallback", file + ": " + strerror(errno) + "; polling every second instead");
    if (fd >= 0) close(fd);
    w->last = w->Look(file);
    w->Poll(file);
    return;
  }
  loop.Watch(fd, POLLIN, [w, fd](short) {
    alignas(inotify_event) char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        if ((ev->mask & IN_Q_OVERFLOW) || (ev->len && w->base == ev->name)) w->Fire();
        p += sizeof(inotify_event) + ev->len;
      }
    }
  });
  log.Info("watching", file);
}

}  // namespace taskdaemon::sv
