// Fuzz target: every JSON request body. The input is one body, given to each decoder
// (dnsd/http/request_json.h: the native register, heartbeat and status bodies;
// consul_request.h: Consul's register body), then sent to each write endpoint that
// takes a body (native register, heartbeat, status; Consul register and check update),
// through the router and the memory store, so that a body the decoder takes is also
// validated and applied. Checks, besides the sanitizers: a decoder never throws (an
// exception escaping is a crash here), a decoded registration that validates is one the
// registry takes, and every JSON answer is JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include "dnsd/http/consul_request.h"
#include "dnsd/http/request_json.h"
#include "registry/instance.h"
#include "tests/fuzz/http_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  (void)dnsd::http::ParseJsonObject(body);
  (void)dnsd::http::ParseHeartbeatBody(body);
  (void)dnsd::http::ParseStatusBody(body);
  (void)dnsd::http::ParseConsulRegistration(body);
  if (auto spec = dnsd::http::ParseRegisterBody(body, "fuzz", "fuzz-1")) {
    if (!spec->address) spec->address = registry::IpAddress::Parse("192.0.2.7");
    if (registry::Validate(*spec)) {
      dnsd::fuzz::HttpWorld world;
      if (!world.registry.Register(*spec)) __builtin_trap();
    }
  }
  dnsd::fuzz::HttpWorld world;
  world.Call("PUT", "/v1/services/web/instances/web-9", body);
  world.Call("PUT", "/v1/services/web/instances/web-1/heartbeat", body);
  world.Call("PUT", "/v1/services/web/instances/web-2/status", body);
  world.Call("PUT", "/v1/agent/service/register", body);
  world.Call("PUT", "/v1/agent/check/update/api-ttl", body);
  world.Call("GET", "/v1/agent/services", "");
  return 0;
}
