// Reading an argv/envp array from JavaScript into the vectors execve(2) takes;
// both are built before fork, so the child only reads them. Used by spawn.cc
// and child.cc.
#pragma once
#include <napi.h>
#include <string>
#include <vector>
#include "exec-vector.h"

namespace taskdaemon {

inline std::vector<std::string> Strings(Napi::Array a) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

}  // namespace taskdaemon
