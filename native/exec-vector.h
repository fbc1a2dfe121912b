// The NULL-terminated pointer vectors execve(2) takes, built before fork so
// the child only reads them. Free of Node-API (native/supervisor/ uses it too).
#pragma once
#include <string>
#include <vector>

namespace taskdaemon {

// NULL-terminated pointers into `src`, which must outlive `dst` unchanged.
inline void FinishVector(std::vector<std::string>& src, std::vector<char*>& dst) {
  for (auto& str : src) dst.push_back(&str[0]);
  dst.push_back(nullptr);
}

}  // namespace taskdaemon
