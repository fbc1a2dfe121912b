#include "records.h"
#include <unistd.h>
#include <cerrno>

namespace taskdaemon::sv {

static std::string Unescape(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); i++) {
    if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == 'n' || v[i + 1] == '\\')) {
      out += v[i + 1] == 'n' ? '\n' : '\\';
      i++;
    } else {
      out += v[i];
    }
  }
  return out;
}

std::vector<Record> RecordParser::Feed(const std::string& chunk) {
  buf_ += chunk;
  std::vector<Record> out;
  size_t end;
  while ((end = buf_.find("\n\n")) != std::string::npos) {
    std::string text = buf_.substr(0, end);
    buf_.erase(0, end + 2);
    Record rec;
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      size_t eq = line.find('=');
      if (eq != std::string::npos && eq > 0) rec[line.substr(0, eq)] = Unescape(line.substr(eq + 1));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    if (!rec.empty()) out.push_back(std::move(rec));
  }
  return out;
}

std::string EncodeRecord(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (auto& [k, v] : fields) {
    out += k + '=';
    for (char c : v) out += c == '\\' ? std::string("\\\\") : c == '\n' ? std::string("\\n") : std::string(1, c);
    out += '\n';
  }
  return out + '\n';
}

bool SendRecord(int fd, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string data = EncodeRecord(fields);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace taskdaemon::sv
