// One exchange on a daemon's control socket, the client side of control.cc:
// connect, send one request line, read one reply line, all within a deadline.
// The CLI's status, reload, stop and call, `list` and DaemonManager make it.
// It runs in a thread of its own (pthread_create) with plain blocking calls (the event loop
// stays free, and `list` asks every daemon at once, however many do not
// answer), and hands the result back through a thread-safe function. Doing it
// with node:net made every such command load net and streams first: about
// 10 ms of a `status` (bench/RESULTS.md).
// A path longer than sun_path is reached through /proc/self/fd/N/NAME, as
// control.cc binds it.
// See: man 7 unix, man 3 pthread_create, man 2 connect, man 2 send (MSG_NOSIGNAL), man 2 poll,
// man 7 socket (SO_SNDTIMEO: how long connect waits on a full backlog)
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include "deadline.h"
#include "errors.h"
#include "unix-address.h"

namespace taskdaemon {

namespace {

// How an exchange ended: a reply line, or why there is none.
enum class End { kReply, kTimeout, kClosed, kTooLong, kFailed };

// One exchange: what to send where, by when, and how it ended.
struct Exchange {
  std::string path, request;
  int64_t deadline;
  size_t max_reply;
  End end = End::kFailed;
  std::string reply;  // the line (kReply), or what came before the end
  const char* syscall = nullptr;
  int err = 0;

  // From the JavaScript arguments (path, requestLine, timeoutMs, maxReply).
  explicit Exchange(const Napi::CallbackInfo& info)
      : path(info[0].As<Napi::String>().Utf8Value()), request(info[1].As<Napi::String>().Utf8Value()),
        deadline(MonotonicMs() + std::max(info[2].As<Napi::Number>().Int32Value(), 0)),
        max_reply(static_cast<size_t>(info[3].As<Napi::Number>().Int64Value())) {}

  int LeftMs() const { return MsLeft(deadline); }
  void Fail(const char* step, int e) {
    end = End::kFailed;
    syscall = step;
    err = e;
  }
};

struct Call;
void Settle(Napi::Env env, Napi::Function, std::nullptr_t*, Call* c);
using Settler = Napi::TypedThreadSafeFunction<std::nullptr_t, Call, Settle>;

// An exchange in a thread of its own, settling a promise on the main thread.
struct Call {
  Exchange x;
  Napi::Promise::Deferred deferred;
  Settler settle;
  pthread_t thread;

  explicit Call(const Napi::CallbackInfo& info) : x(info), deferred(Napi::Promise::Deferred::New(info.Env())) {}
};

// connect(2) to `path` within the deadline; -1 with the call failed or timed out.
int Connect(Exchange& c) {
  UnixAddress addr(c.path, "connect");
  if (addr.step) {
    c.Fail(addr.step, addr.err);
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    c.Fail("socket", errno);
    return -1;
  }
  // A daemon too busy to accept fills its backlog; connect then waits at most this long.
  int left = c.LeftMs();
  struct timeval tv = {left / 1000, (left % 1000) * 1000};
  if (left == 0) tv.tv_usec = 1000;  // 0 would mean "wait forever"
  const char* step = nullptr;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) step = "setsockopt";
  else {
    int rc;
    while ((rc = connect(fd, reinterpret_cast<const struct sockaddr*>(&addr.sa), sizeof addr.sa)) != 0 && errno == EINTR && c.LeftMs() > 0) {
    }
    if (rc != 0) step = "connect";
  }
  int e = errno;
  if (step) {
    close(fd);
    // The backlog stayed full until the deadline: the daemon did not answer in time.
    if (strcmp(step, "connect") == 0 && (e == EAGAIN || e == EINTR)) c.end = End::kTimeout;
    else c.Fail(step, e);
    return -1;
  }
  return fd;
}

// Send the request, then read until the first newline, the end, the size limit or the deadline.
void RunExchange(Exchange& c) {
  int fd = Connect(c);
  if (fd < 0) return;
  size_t sent = 0;
  while (sent < c.request.size()) {
    ssize_t n = send(fd, c.request.data() + sent, c.request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN) c.end = End::kTimeout;  // SO_SNDTIMEO: the daemon reads nothing
      else c.Fail("write", errno);
      close(fd);
      return;
    }
    sent += static_cast<size_t>(n);
  }
  char buf[65536];
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int rc = PollWithDeadline(&p, 1, c.LeftMs());
    if (rc < 0) {
      c.Fail("poll", errno);
      break;
    }
    if (rc == 0) {
      c.end = End::kTimeout;
      break;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      c.Fail("read", errno);
      break;
    }
    if (n == 0) {
      c.end = End::kClosed;
      break;
    }
    const char* nl = static_cast<const char*>(memchr(buf, '\n', static_cast<size_t>(n)));
    c.reply.append(buf, nl ? static_cast<size_t>(nl - buf) : static_cast<size_t>(n));
    if (nl) {
      c.end = End::kReply;
      break;
    }
    if (c.reply.size() > c.max_reply) {
      c.end = End::kTooLong;
      break;
    }
  }
  close(fd);
}

// { reply } | { end: 'timeout'|'closed'|'too-long', partial } | { errno, syscall }.
Napi::Value Result(Napi::Env env, const Exchange& c) {
  if (c.end == End::kFailed) return Failure(env, c.syscall, c.err);
  Napi::Object out = Napi::Object::New(env);
  if (c.end == End::kReply) out.Set("reply", Napi::String::New(env, c.reply));
  else {
    out.Set("end", Napi::String::New(env, c.end == End::kTimeout ? "timeout" : c.end == End::kClosed ? "closed" : "too-long"));
    out.Set("partial", Napi::Boolean::New(env, !c.reply.empty()));
  }
  return out;
}

// On the main thread: the promise gets the result.
void Settle(Napi::Env env, Napi::Function, std::nullptr_t*, Call* c) {
  if (env != nullptr) {
    Napi::HandleScope scope(env);
    c->deferred.Resolve(Result(env, c->x));
  }
  delete c;
}

// The call's own thread: the exchange, then its result to the main thread.
void* Run(void* arg) {
  auto* c = static_cast<Call*>(arg);
  RunExchange(c->x);
  Settler settle = c->settle;
  // napi_closing: the environment is going away (process.exit); the result has nobody to go to.
  if (settle.BlockingCall(c) != napi_ok) delete c;
  settle.Release();
  return nullptr;
}

}  // namespace

// controlCall(path, requestLine, timeoutMs, maxReply) -> Promise<{ reply } | { end, partial } | { errno, syscall }>
static Napi::Value ControlCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 4)) return env.Undefined();
  auto* c = new Call(info);
  Napi::Promise promise = c->deferred.Promise();
  // Holds the event loop open until the result is back, as a socket would.
  c->settle = Settler::New(env, "taskdaemon.controlCall", 0, 1);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&c->thread, &attr, Run, c);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    // No thread (RLIMIT_NPROC, memory): said as the failure it is, never a crash.
    c->settle.Release();
    c->deferred.Resolve(Failure(env, "pthread_create", err));
    delete c;
  }
  return promise;
}

// controlCallSync(path, requestLine, timeoutMs, maxReply) -> the same result, on
// this thread: for a command that makes one call and has nothing else to do
// meanwhile (status, reload, health, call), no thread to start and hand back
// from (about 1 ms of such a command, bench/RESULTS.md). Signals still end it
// as they would end the command (a SIGINT with no handler), or are seen after.
static Napi::Value ControlCallSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 4)) return env.Undefined();
  Exchange x(info);
  RunExchange(x);
  return Result(env, x);
}

void InitControlCall(Napi::Env env, Napi::Object exports) {
  exports.Set("controlCall", Napi::Function::New(env, ControlCall, "controlCall"));
  exports.Set("controlCallSync", Napi::Function::New(env, ControlCallSync, "controlCallSync"));
}

}  // namespace taskdaemon
