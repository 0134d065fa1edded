// Fuzz target: the HTTP API's router (dnsd::http::Route) with any method, path, query
// and body, writes applied through the memory store, on a registry with instances and a
// fake clock.
//
// Input: requests separated by a line "---". Each request is a first line "METHOD
// TARGET" (TARGET = path, optionally ?query) and the body after it. Between requests
// the clock moves by 0-15 s (the number of bytes in the first line, mod 16) and the
// registry runs its timers. Checks, besides the sanitizers: every JSON answer is JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/http_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  dnsd::fuzz::HttpWorld world;
  for (int n = 0; n < 16 && !input.empty(); ++n) {
    size_t end = input.find("\n---\n");
    std::string_view one = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 5);
    const size_t nl = one.find('\n');
    std::string_view line = one.substr(0, nl);
    std::string body(nl == std::string_view::npos ? std::string_view() : one.substr(nl + 1));
    const size_t sp = line.find(' ');
    std::string method(line.substr(0, sp));
    std::string target(sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1));
    world.Call(std::move(method), std::move(target), std::move(body));
    world.Advance(std::chrono::seconds(line.size() % 16));
  }
  return 0;
}
