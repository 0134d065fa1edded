// The world the HTTP fuzz targets route in: a registry on a fake clock with a memory
// store, a few instances registered through the API itself (native and Consul, with
// leases and a TTL check), and Call(), which routes one request the way the server does:
// a write is submitted to the store and answered with AnswerWrite, a blocking query is
// answered at once with AnswerServiceQuery (as when it is woken or times out). Every
// answer must be JSON when it says so. Header-only; a new world per input.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "dnsd/http/router.h"
#include "registry/registry.h"
#include "registry/store.h"
#include "tests/support/fake_clock.h"

namespace dnsd::fuzz {

struct HttpWorld {
  HttpWorld() : registry(clock, Config()) {
    options.clock = &clock;
    options.started = clock.Now();
    options.version = "0.0.0-fuzz";
    options.node = "fuzz-node";
    options.ready = true;
    options.max_body = 16384;
    Seed("PUT", "/v1/services/web/instances/web-1",
         R"({"address":"10.0.0.1","port":8080,"ttl":"10s","tags":["a","b"],"meta":{"k":"v"}})");
    Seed("PUT", "/v1/services/web/instances/web-2",
         R"({"address":"2001:db8::2","port":8081,"ttl":"5s","weight":3})");
    Seed("PUT", "/v1/services/db/instances/db-1", R"({"address":"10.0.1.1","port":5432})");
    Seed("PUT", "/v1/agent/service/register",
         R"({"Name":"api","ID":"api-1","Address":"10.0.2.1","Port":9000,"Tags":["x"],)"
         R"("Check":{"CheckID":"api-ttl","TTL":"15s","DeregisterCriticalServiceAfter":"1m"}})");
  }

  static registry::RegistryConfig Config() {
    registry::RegistryConfig c;
    c.max_instances = 64;
    c.max_instances_per_service = 16;
    c.self_preservation.min_instances = 2;
    return c;
  }

  void Seed(const char* method, const char* target, const char* body) {
    const http::HttpResponse r = Call(method, target, body);
    if (r.status != 200) {
      std::fprintf(stderr, "http world: %s %s was refused: %s\n", method, target, r.body.c_str());
      __builtin_trap();
    }
  }

  http::HttpResponse Call(std::string method, std::string target, std::string body) {
    http::HttpRequest r;
    r.method = std::move(method);
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = std::move(body);
    r.content_length = r.body.size();
    r.peer = registry::IpAddress::Parse("192.0.2.7");
    return Call(r);
  }

  http::HttpResponse Call(const http::HttpRequest& request) {
    http::HttpResponse response = http::Route(request, registry, options);
    if (response.block) {
      response = http::AnswerServiceQuery(*response.block, registry, options);
    } else if (response.write) {
      http::PendingWrite write = std::move(*response.write);
      std::optional<registry::Result<uint64_t>> result;
      store.Submit(std::move(write.command), [&](registry::Result<uint64_t> r) { result = r; });
      if (!result) __builtin_trap();  // the memory store answers at once
      response = http::AnswerWrite(write, *result, registry);
    }
    if (response.content_type == http::kJsonContentType && !response.body.empty() &&
        !nlohmann::json::accept(response.body)) {
      std::fprintf(stderr, "http world: %d answer is not JSON: %s\n", response.status,
                   response.body.c_str());
      __builtin_trap();
    }
    return response;
  }

  // Time passes: leases lapse, instances are removed, the view is published.
  void Advance(registry::Duration d) {
    clock.Advance(d);
    registry.Tick();
    registry.Publish();
  }

  testing::FakeClock clock;
  registry::Registry registry;
  registry::MemoryStore store{registry};
  http::RouterOptions options;
};

}  // namespace dnsd::fuzz
