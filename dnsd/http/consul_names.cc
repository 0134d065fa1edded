#include "dnsd/http/consul_names.h"

#include <cstdint>
#include <cstdio>

#include "registry/instance.h"

namespace dnsd::http {
namespace {

constexpr size_t kKeep = 56;  // + "-" + 6 hex digits = 63, the longest label

uint32_t Fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

}  // namespace

std::string ConsulLabel(std::string_view name) {
  std::string lower = registry::ToLower(name);
  if (registry::IsDnsLabel(lower)) return lower;
  std::string out;
  for (char c : lower) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    out.push_back(ok ? c : '-');
  }
  size_t first = out.find_first_not_of('-');
  out = first == std::string::npos ? std::string() : out.substr(first);
  if (out.size() > kKeep) out.resize(kKeep);
  while (!out.empty() && out.back() == '-') out.pop_back();
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", Fnv1a(name) & 0xffffffu);
  return out.empty() ? std::string("x") + suffix : out + "-" + suffix;
}

}  // namespace dnsd::http
