#include "dnsd/forward/upstreams.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

namespace dnsd::forward {
namespace {

TEST_CASE("upstream entries parse with and without a port", "[forward]") {
  struct Case {
    const char* text;
    const char* want;  // nullptr: rejected
  };
  const Case cases[] = {
      {"10.0.0.2", "10.0.0.2:53"},
      {"10.0.0.2:5353", "10.0.0.2:5353"},
      {"[2001:db8::1]:53", "[2001:db8::1]:53"},
      {"[::1]", "[::1]:53"},
      {"::1", "[::1]:53"},
      {" 127.0.0.1 ", "127.0.0.1:53"},
      {"10.0.0.2:0", nullptr},
      {"10.0.0.2:65536", nullptr},
      {"10.0.0.2:x", nullptr},
      {"[10.0.0.2]:53", nullptr},
      {"[::1]53", nullptr},
      {"example.com", nullptr},
      {"", nullptr},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto u = ParseUpstream(c.text);
    if (c.want == nullptr) {
      CHECK_FALSE(u.has_value());
    } else {
      REQUIRE(u.has_value());
      CHECK(u->ToString() == c.want);
    }
  }
}

TEST_CASE("resolv.conf nameservers are read in order, scoped ones skipped", "[forward]") {
  auto servers = ParseResolvConf(
      "# comment\nsearch example.com\nnameserver 10.0.0.1\nnameserver fe80::1%eth0\n"
      "nameserver   2001:db8::53  \noptions ndots:2\nnameserver bogus\n");
  REQUIRE(servers.size() == 2);
  CHECK(servers[0].ToString() == "10.0.0.1:53");
  CHECK(servers[1].ToString() == "[2001:db8::53]:53");
}

TEST_CASE("dnsd's own listeners are not upstreams", "[forward]") {
  auto own = [](const char* text) { return *ParseUpstream(text); };
  CHECK(IsOwnAddress(own("127.0.0.1"), {own("127.0.0.1:53")}));
  CHECK_FALSE(IsOwnAddress(own("127.0.0.1"), {own("127.0.0.1:8600")}));
  CHECK(IsOwnAddress(own("127.0.0.1"), {own("0.0.0.0:53")}));
  CHECK(IsOwnAddress(own("::1"), {own("[::]:53")}));
  CHECK_FALSE(IsOwnAddress(own("10.0.0.1"), {own("0.0.0.0:53")}));
  CHECK_FALSE(IsOwnAddress(own("127.0.0.2"), {own("127.0.0.1:53")}));
}

TEST_CASE("system expands resolv.conf minus dnsd and fails when nothing is left", "[forward]") {
  char templ[] = "/tmp/dnsd-resolv-XXXXXX";
  int fd = mkstemp(templ);
  REQUIRE(fd >= 0);
  close(fd);
  std::string path = templ;
  {
    std::ofstream f(path);
    f << "nameserver 127.0.0.1\nnameserver 127.0.0.2\n";
  }
  auto own = std::vector<Upstream>{*ParseUpstream("127.0.0.1:53")};
  auto list = ResolveUpstreams({"10.0.0.9:5300", "system"}, own, path);
  CHECK(list.errors.empty());
  REQUIRE(list.upstreams.size() == 2);
  CHECK(list.upstreams[0].ToString() == "10.0.0.9:5300");
  CHECK(list.upstreams[1].ToString() == "127.0.0.2:53");
  {
    std::ofstream f(path);
    f << "nameserver 127.0.0.1\n";
  }
  list = ResolveUpstreams({"system"}, own, path);
  CHECK(list.upstreams.empty());
  REQUIRE(list.errors.size() == 1);
  CHECK(list.errors[0].find("system") != std::string::npos);
  std::remove(path.c_str());
  list = ResolveUpstreams({"system", "nonsense"}, own, path);
  CHECK(list.errors.size() == 2);
}

}  // namespace
}  // namespace dnsd::forward
