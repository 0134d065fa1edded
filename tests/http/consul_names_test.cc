#include "dnsd/http/consul_names.h"

#include <catch2/catch.hpp>

#include "registry/instance.h"

namespace dnsd::http {
namespace {

TEST_CASE("a Consul name that is a DNS label is used lower-cased", "[consul]") {
  CHECK(ConsulLabel("web") == "web");
  CHECK(ConsulLabel("Web-1") == "web-1");
}

TEST_CASE("other Consul names map to a label with a hash of the original", "[consul]") {
  const std::string mapped = ConsulLabel("Billing_API");
  CHECK(mapped.rfind("billing-api-", 0) == 0);
  CHECK(mapped.size() == std::string("billing-api-").size() + 6);
  CHECK(ConsulLabel("Billing_API") == mapped);            // fixed
  CHECK(ConsulLabel("billing.api") != mapped);            // distinct inputs differ
  for (std::string name : {std::string("_"), std::string(200, 'x'), std::string("--a--"),
                           std::string("a b"), std::string("üñí")}) {
    INFO(name);
    CHECK(registry::IsDnsLabel(ConsulLabel(name)));
  }
}

}  // namespace
}  // namespace dnsd::http
