#include "rpc.h"
#include "json.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cmath>
#include <deque>
#include <map>

namespace taskdaemon::sv {

namespace {

constexpr size_t kMaxLine = 64 * 1024;
constexpr int64_t kIdleMs = 30000;
constexpr size_t kMaxClients = 256;
// A client that sends faster than it reads is not read from while this much of its answers waits.
constexpr size_t kMaxPendingOut = 1 << 20;

enum Rpc { PARSE_ERROR = -32700, INVALID_REQUEST = -32600, METHOD_NOT_FOUND = -32601, INVALID_PARAMS = -32602, INTERNAL_ERROR = -32603 };

// A method's answer: a result, or an error code and message.
using Reply = std::function<void(const json& result, int code, const std::string& message)>;
using Method = std::function<void(const json& params, Reply reply)>;

struct BadParams {
  std::string message;
};

// params[key], a finite non-negative number (or `dflt` when absent); INVALID_PARAMS otherwise.
double NumberParam(const json& params, const char* key, std::optional<double> dflt) {
  const json* v = params.is_object() && params.contains(key) ? &params[key] : nullptr;
  if (!v && dflt) return *dflt;
  if (!v || !v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < 0) throw BadParams{std::string("'") + key + "' must be a non-negative number"};
  return v->get<double>();
}

std::map<std::string, Method> Methods(Supervisor& sup) {
  std::map<std::string, Method> m;
  const pid_t pid = getpid();
  m["ping"] = [](const json&, Reply r) { r("pong", 0, ""); };
  m["version"] = [&sup, pid](const json&, Reply r) { r({{"version", sup.plan.version}, {"node", sup.plan.node}, {"pid", pid}, {"native", true}}, 0, ""); };
  m["status"] = [&sup](const json&, Reply r) { r(sup.Report(), 0, ""); };
  m["health"] = [&sup](const json&, Reply r) {
    json h = sup.Health();
    h["phase"] = sup.phase;
    r(h, 0, "");
  };
  m["startOptions"] = [&sup](const json&, Reply r) { r(json::parse(sup.plan.options_json), 0, ""); };
  m["state"] = [&sup, pid](const json&, Reply r) {
    r({{"phase", sup.phase}, {"generation", sup.reloads.generation}, {"reloading", sup.reloads.running}, {"pid", pid}, {"supervisor", true}}, 0, "");
  };
  m["awaitReady"] = [&sup, pid](const json& p, Reply r) {
    double timeout = NumberParam(p, "timeoutMs", 60000);
    sup.AwaitReady(static_cast<int64_t>(timeout), [&sup, pid, r] { r({{"phase", sup.phase}, {"pid", pid}}, 0, ""); });
  };
  auto result = [](Reply r, double timeout) {
    return [r, timeout](const ReloadResult* res) {
      if (!res) return r(nullptr, INTERNAL_ERROR, "no reload finished within " + std::to_string(static_cast<int64_t>(timeout)) + " ms");
      r({{"generation", res->generation}, {"ok", res->ok}, {"error", res->ok ? json(nullptr) : json(res->error)}, {"at", IsoTime(res->at)}}, 0, "");
    };
  };
  m["reload"] = [&sup, result](const json& p, Reply r) {
    double timeout = NumberParam(p, "timeoutMs", 60000);
    int before = sup.reloads.generation;
    sup.reloads.Request("control socket");
    sup.reloads.AwaitResult(before, static_cast<int64_t>(timeout), result(r, timeout));
  };
  m["awaitReload"] = [&sup, result](const json& p, Reply r) {
    double after = NumberParam(p, "after", std::nullopt);
    double timeout = NumberParam(p, "timeoutMs", 60000);
    sup.reloads.AwaitResult(static_cast<int>(after), static_cast<int64_t>(timeout), result(r, timeout));
  };
  m["shutdown"] = [&sup, pid](const json&, Reply r) {
    sup.loop.Defer([&sup] { sup.Shutdown("control socket"); });
    r({{"stopping", true}, {"pid", pid}}, 0, "");
  };
  m["gracefulRestart"] = [&sup](const json&, Reply r) {
    sup.ReplaceInstances([r](const Supervisor::Replaced& replaced, const std::string& error) {
      if (!error.empty()) return r(nullptr, INTERNAL_ERROR, error);
      json list = json::array();
      for (auto& x : replaced) list.push_back({{"slot", x.slot}, {"old", x.old_pid ? json(x.old_pid) : json(nullptr)}, {"new", x.new_pid}});
      r({{"replaced", list}}, 0, "");
    });
  };
  return m;
}

json Fail(const json& id, int code, const std::string& message) { return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}}; }

struct Server;

struct Client {
  int fd;
  std::string in, out;
  std::deque<std::string> lines;
  bool busy = false, read_closed = false, closed = false, discarding = false;
  bool parked = false;  // read to its end: not polled any more (POLLHUP would spin), answered by Flush alone
  uint64_t idle = 0;
};
using ClientPtr = std::shared_ptr<Client>;

struct Server {
  Supervisor& sup;
  int fd;
  std::map<std::string, Method> methods;
  std::map<int, ClientPtr> clients;

  // One request object: its response, or null for a notification (`done(nullptr)`).
  void HandleOne(const json& req, std::function<void(const json*)> done) {
    if (!req.is_object()) {
      json f = Fail(nullptr, INVALID_REQUEST, "a request is a JSON object");
      return done(&f);
    }
    json id = req.contains("id") && (req["id"].is_string() || req["id"].is_number()) ? req["id"] : json(nullptr);
    const bool notification = !req.contains("id");
    if (!req.contains("jsonrpc") || req["jsonrpc"] != "2.0" || !req.contains("method") || !req["method"].is_string() || (req.contains("id") && id.is_null() && !req["id"].is_null())) {
      json f = Fail(id, INVALID_REQUEST, "expected {\"jsonrpc\":\"2.0\",\"method\":string,\"id\":string|number}");
      return done(&f);
    }
    json params = req.contains("params") ? req["params"] : json::object();
    if (!params.is_object() && !params.is_array()) {
      json f = Fail(id, INVALID_PARAMS, "params must be an object or array");
      return done(&f);
    }
    const std::string name = req["method"].get<std::string>();
    auto it = methods.find(name);
    auto finish = [notification, done, id](const json& res) {
      if (notification) return done(nullptr);
      done(&res);
    };
    if (it == methods.end()) return finish(Fail(id, METHOD_NOT_FOUND, "unknown method '" + name + "'"));
    try {
      it->second(params, [finish, id](const json& result, int code, const std::string& message) {
        if (code) return finish(Fail(id, code, message));
        finish({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
      });
    } catch (const BadParams& e) {
      finish(Fail(id, INVALID_PARAMS, e.message));
    } catch (const std::exception& e) {
      finish(Fail(id, INTERNAL_ERROR, e.what()));
    }
  }

  void HandleLine(const std::string& line, std::function<void(const std::string&)> done) {
    json msg = json::parse(line, nullptr, false);
    if (msg.is_discarded()) return done(Dump(Fail(nullptr, PARSE_ERROR, "not valid JSON")));
    if (!msg.is_array()) {
      return HandleOne(msg, [this, done](const json* r) { done(r ? Dump(*r) : ""); });
    }
    if (msg.empty()) return done(Dump(Fail(nullptr, INVALID_REQUEST, "empty batch")));
    // Every element at once, the answers in their order.
    struct Batch {
      size_t left;
      std::vector<std::optional<json>> out;
    };
    auto b = std::make_shared<Batch>(Batch{msg.size(), std::vector<std::optional<json>>(msg.size())});
    for (size_t i = 0; i < msg.size(); i++) {
      HandleOne(msg[i], [this, b, i, done](const json* r) {
        if (r) b->out[i] = *r;
        if (--b->left > 0) return;
        json all = json::array();
        for (auto& o : b->out)
          if (o) all.push_back(*o);
        done(all.empty() ? "" : Dump(all));
      });
    }
  }

  void Accept() {
    Loop::AcceptAll(fd, [this] { return clients.size() < kMaxClients; }, [this](int c) {
      auto client = std::make_shared<Client>();
      client->fd = c;
      clients[c] = client;
      sup.loop.Watch(c, POLLIN, [this, client](short ev) { OnEvent(client, ev); });
      Idle(client, true);
    });
  }

  // A client waiting for an answer is not idle.
  void Idle(const ClientPtr& c, bool on) {
    sup.loop.Cancel(c->idle);
    if (on && !c->closed) c->idle = sup.loop.After(c->discarding ? 1000 : kIdleMs, [this, c] { Close(c); });
  }

  void Close(const ClientPtr& c) {
    if (c->closed) return;
    c->closed = true;
    sup.loop.Cancel(c->idle);
    sup.loop.Unwatch(c->fd);
    close(c->fd);
    clients.erase(c->fd);
  }

  void Watching(const ClientPtr& c) {
    if (c->closed || c->parked) return;
    short ev = (c->read_closed || c->out.size() > kMaxPendingOut ? 0 : POLLIN) | (c->out.empty() ? 0 : POLLOUT);
    sup.loop.SetEvents(c->fd, ev);
  }

  void Flush(const ClientPtr& c) {
    while (!c->out.empty() && !c->closed) {
      ssize_t w = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN && !c->parked) break;
      if (w <= 0) return Close(c);  // a vanished client is not our problem
      c->out.erase(0, static_cast<size_t>(w));
    }
    if (c->closed) return;
    // Half-closed by the client (or cut off after a line too long) and nothing left to say.
    if ((c->read_closed || c->discarding) && c->out.empty() && !c->busy && c->lines.empty()) {
      if (c->discarding) shutdown(c->fd, SHUT_WR);
      else return Close(c);
    }
    Watching(c);
  }

  // The queued lines, one at a time. A loop, not a recursion: most answers come
  // at once, and a client may queue thousands of lines in one read.
  void Next(const ClientPtr& c) {
    while (!c->busy && !c->lines.empty() && !c->closed) {
      c->busy = true;
      Idle(c, false);
      std::string line = std::move(c->lines.front());
      c->lines.pop_front();
      auto now = std::make_shared<bool>(true);  // still inside HandleLine: the loop goes on
      HandleLine(line, [this, c, now](const std::string& text) {
        c->busy = false;
        if (c->closed) return;
        if (!text.empty()) c->out += text + "\n";
        Flush(c);
        if (c->closed) return;
        if (c->lines.empty()) Idle(c, true);
        if (!*now) Next(c);  // answered later (a reload, a graceful restart): take up the queue again
      });
      *now = false;
    }
  }

  void OnEvent(const ClientPtr& c, short ev) {
    if (ev & POLLOUT) Flush(c);
    if (c->closed || !(ev & (POLLIN | POLLHUP | POLLERR))) return;
    if (c->read_closed || c->out.size() > kMaxPendingOut) return;
    char buf[16384];
    for (;;) {
      ssize_t n = recv(c->fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        c->read_closed = true;
        break;
      }
      if (c->discarding) continue;
      c->in.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = c->in.find('\n')) != std::string::npos) {
        std::string line = c->in.substr(0, nl);
        c->in.erase(0, nl + 1);
        size_t a = line.find_first_not_of(" \t\r");
        if (a == std::string::npos) continue;
        line = line.substr(a, line.find_last_not_of(" \t\r") - a + 1);
        c->lines.push_back(std::move(line));
      }
      if (c->in.size() > kMaxLine) {
        // Say why and discard the rest instead of resetting a client still writing; it has a second to go.
        c->in.clear();
        c->lines.clear();
        c->discarding = true;
        c->out += Dump(Fail(nullptr, INVALID_REQUEST, "request longer than " + std::to_string(kMaxLine) + " bytes")) + "\n";
        Idle(c, true);
        break;
      }
    }
    if (c->read_closed && !c->parked) {
      c->parked = true;
      sup.loop.Unwatch(c->fd);
    }
    Next(c);
    Flush(c);
  }
};

}  // namespace

void StartRpcServer(int fd, Supervisor& sup) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto* server = new Server{sup, fd, Methods(sup), {}};  // lives as long as the process
  sup.loop.Watch(fd, POLLIN, [server](short) { server->Accept(); });
}

}  // namespace taskdaemon::sv
