// Small helpers for the JSON gateway's messages: int64 fields arrive as strings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace dnsd::cluster {

using Json = nlohmann::json;

// The number at j[key] (a string or a number), or 0 when absent or malformed.
inline int64_t JsonInt(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

inline uint64_t HeaderRevision(const Json& j) {
  auto it = j.find("header");
  return it == j.end() ? 0 : static_cast<uint64_t>(JsonInt(*it, "revision"));
}

}  // namespace dnsd::cluster
