// --health-port of a supervised daemon (src/runtime/health-http.ts): GET
// /health -> 200 or 503 with the instances' health as JSON; GET /ready -> 200
// once every instance was ready, 503 while starting, reloading or stopping.
// Bound to 127.0.0.1 unless told otherwise. Just enough HTTP/1.x for a probe:
// the request line is read (headers up to 8 KiB, within 5 s), one answer is
// written, and the connection closes (Connection: close).
// See: RFC 9112 (request line), man 2 accept4, man 3 getaddrinfo
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include "json.h"
#include "supervisor.h"

namespace taskdaemon::sv {

namespace {

constexpr size_t kMaxHead = 8192;
constexpr int64_t kClientMs = 5000;
constexpr size_t kMaxClients = 64;

struct HttpClient {
  int fd;
  std::string in, out;
  bool answered = false;
  uint64_t timer = 0;
};

struct HealthServer {
  Supervisor& sup;
  int fd;
  std::map<int, std::shared_ptr<HttpClient>> clients;

  void Close(const std::shared_ptr<HttpClient>& c) {
    sup.loop.Cancel(c->timer);
    sup.loop.Unwatch(c->fd);
    close(c->fd);
    clients.erase(c->fd);
  }

  static std::string Response(int code, const char* reason, const json& body, bool head) {
    std::string text = Dump(body) + "\n";
    std::string out = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(text.size()) +
                      "\r\ncache-control: no-store\r\nconnection: close\r\n\r\n";
    return head ? out : out + text;
  }

  std::string Answer(const std::string& head) {
    std::string line = head.substr(0, head.find("\r\n"));
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos) return Response(400, "Bad Request", {{"error", "bad request"}}, false);
    std::string method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    bool is_head = method == "HEAD";
    if (method != "GET" && !is_head) return Response(405, "Method Not Allowed", {{"error", "method not allowed"}}, false);
    std::string url = target.substr(0, target.find('?'));
    // A supervisor that gave up is 'stopped' here, as to the runtime's surface.
    std::string phase = sup.phase == "failed" ? "stopped" : sup.phase;
    if (url == "/ready") return Response(phase == "ready" ? 200 : 503, phase == "ready" ? "OK" : "Service Unavailable", {{"ready", phase == "ready"}, {"phase", phase}}, is_head);
    if (url == "/health") {
      json h = sup.Health();
      h["phase"] = phase;
      bool ok = h["ok"].get<bool>();
      return Response(ok ? 200 : 503, ok ? "OK" : "Service Unavailable", h, is_head);
    }
    return Response(404, "Not Found", {{"error", "not found"}, {"try", {"/health", "/ready"}}}, is_head);
  }

  void Flush(const std::shared_ptr<HttpClient>& c) {
    while (!c->out.empty()) {
      ssize_t w = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) return sup.loop.SetEvents(c->fd, POLLOUT);
      if (w <= 0) return Close(c);
      c->out.erase(0, static_cast<size_t>(w));
    }
    Close(c);
  }

  void OnEvent(const std::shared_ptr<HttpClient>& c, short ev) {
    if (c->answered) return Flush(c);
    char buf[4096];
    for (;;) {
      ssize_t n = recv(c->fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) return Close(c);
      c->in.append(buf, static_cast<size_t>(n));
      size_t end = c->in.find("\r\n\r\n");
      if (end == std::string::npos) end = c->in.find("\n\n");
      if (end != std::string::npos) {
        c->answered = true;
        c->out = Answer(c->in);
        return Flush(c);
      }
      if (c->in.size() > kMaxHead) {
        c->answered = true;
        c->out = Response(431, "Request Header Fields Too Large", {{"error", "request header too large"}}, false);
        return Flush(c);
      }
    }
  }

  void Accept() {
    Loop::AcceptAll(fd, [this] { return clients.size() < kMaxClients; }, [this](int c) {
      auto client = std::make_shared<HttpClient>();
      client->fd = c;
      clients[c] = client;
      client->timer = sup.loop.After(kClientMs, [this, client] { Close(client); });
      sup.loop.Watch(c, POLLIN, [this, client](short ev) { OnEvent(client, ev); });
    });
  }
};

}  // namespace

// Bound before the instances start; "" or why it could not be.
std::string Supervisor::StartHealthServer() {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string where = plan.health_host + ":" + std::to_string(plan.health_port);
  int rc = getaddrinfo(plan.health_host.c_str(), std::to_string(plan.health_port).c_str(), &hints, &res);
  if (rc != 0 || !res) return "getaddrinfo " + plan.health_host + ": " + gai_strerror(rc);
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  std::string failure;
  if (fd < 0) failure = SystemErrorText("socket", errno, where);
  else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) failure = SystemErrorText("setsockopt", errno, where);
  else if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) failure = SystemErrorText("bind", errno, where);
  else if (listen(fd, 64) != 0) failure = SystemErrorText("listen", errno, where);
  freeaddrinfo(res);
  if (!failure.empty()) {
    if (fd >= 0) close(fd);
    return failure;
  }
  auto* server = new HealthServer{*this, fd, {}};  // lives as long as the process
  loop.Watch(fd, POLLIN, [server](short) { server->Accept(); });
  log.Info("health-http", "http://" + where + "/health");
  return "";
}

}  // namespace taskdaemon::sv
