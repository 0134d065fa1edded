// Shared setup for the router tests: a registry on a fake clock and helpers that build
// requests and parse JSON answers. No sockets.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dnsd/http/router.h"
#include "registry/registry.h"
#include "registry/store.h"
#include "tests/support/fake_clock.h"

namespace dnsd::http::testing {

using Json = nlohmann::json;

struct RouterFixture {
  explicit RouterFixture(registry::RegistryConfig config = {}) : registry(clock, config) {
    options.clock = &clock;
    options.started = clock.Now();
    options.version = "9.9.9";
    options.ready = true;
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    std::optional<std::string> authorization = std::nullopt) {
    HttpRequest r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    r.authorization = std::move(authorization);
    r.peer = peer;
    HttpResponse response = Route(r, registry, options);
    if (!response.write) return response;
    // A write goes through the memory store, as the server's does; it answers at once.
    PendingWrite write = std::move(*response.write);
    std::optional<registry::Result<uint64_t>> result;
    store.Submit(std::move(write.command), [&](registry::Result<uint64_t> r) { result = r; });
    if (!result) throw std::runtime_error("the memory store did not answer at once");
    HttpResponse answer = AnswerWrite(write, *result, registry);
    answer.route = response.route;
    return answer;
  }
  HttpResponse Put(const std::string& target, const std::string& body = "") {
    return Call("PUT", target, body);
  }
  HttpResponse Get(const std::string& target) { return Call("GET", target); }

  // Registers web/<id> with a 10 s lease, asserting success.
  void RegisterWeb(const std::string& id, const std::string& extra = "") {
    std::string body = "{\"address\":\"10.0.0.1\",\"port\":8080,\"ttl\":\"10s\"" + extra + "}";
    HttpResponse r = Put("/v1/services/web/instances/" + id, body);
    if (r.status != 200) throw std::runtime_error("register failed: " + r.body);
  }

  // Everything a reader could see: used to assert that a bad request changed nothing.
  std::string Fingerprint() {
    std::string out = std::to_string(registry.index()) + Get("/v1/services").body;
    for (const auto& s : registry.Services()) out += Get("/v1/services/" + s.name).body;
    return out;
  }

  dnsd::testing::FakeClock clock;
  registry::Registry registry;
  registry::MemoryStore store{registry};
  RouterOptions options;
  std::optional<registry::IpAddress> peer = registry::IpAddress::Parse("192.0.2.7");
};

inline Json Body(const HttpResponse& r) { return Json::parse(r.body); }

}  // namespace dnsd::http::testing
