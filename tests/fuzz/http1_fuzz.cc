// Fuzz target: dnsd's HTTP/1.1 fast path (dnsd/http/http1_codec): any bytes as a stream of
// pipelined requests. Each request the codec takes is routed (dnsd::http::Route, writes
// through the memory store) and its answer written with AppendHttp1Response; the stream
// stops at the first request the codec hands over to h2o or at an incomplete one.
// Checks, besides the sanitizers: a parsed request used at least one byte and no more
// than were given, and the answer written starts with a status line.
#include <cstdint>
#include <string>
#include <string_view>

#include "dnsd/http/http1_codec.h"
#include "tests/fuzz/http_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dnsd::http::internal::Http1Parse;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  dnsd::fuzz::HttpWorld world;
  dnsd::http::internal::Http1Request request;
  std::string out;
  for (int n = 0; n < 32; ++n) {
    // A copy with no bytes after it, so that a read past the end is ASan's to see.
    const std::string buffer(input);
    const Http1Parse p = dnsd::http::internal::ParseHttp1Request(buffer, 4096, request);
    if (p != Http1Parse::kRequest) break;
    if (request.size == 0 || request.size > buffer.size()) __builtin_trap();
    request.request.peer = registry::IpAddress::Parse("192.0.2.7");
    const dnsd::http::HttpResponse response = world.Call(request.request);
    out.clear();
    dnsd::http::internal::AppendHttp1Response(response, request.head, request.keep_alive,
                                              "Thu, 01 Jan 1970 00:00:00 GMT", "dnsd", out);
    if (!out.starts_with("HTTP/1.1 ")) __builtin_trap();
    input.remove_prefix(request.size);
  }
  dnsd::http::internal::ParseContentLength(std::string_view(reinterpret_cast<const char*>(data),
                                                            size < 24 ? size : 24));
  return 0;
}
