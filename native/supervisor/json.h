// The supervisor's JSON (nlohmann/json, vendored in native/vendor/). What it
// writes keeps its keys in the order written, as the runtime's JSON.stringify
// does, so a supervised daemon answers and logs as any other; text that is
// not UTF-8 is written with U+FFFD instead of failing.
#pragma once
#include <string>
#include "../vendor/nlohmann/json.hpp"

namespace taskdaemon::sv {

using json = nlohmann::ordered_json;

/** One line of JSON, no spaces. */
inline std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace taskdaemon::sv
