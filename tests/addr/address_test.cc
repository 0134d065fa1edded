#include "dnsd/addr/address.h"

#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

namespace dnsd::addr {
namespace {

TEST_CASE("addresses parse with and without a port, IPv6 in brackets", "[addr]") {
  struct Case {
    const char* text;
    std::optional<std::string> want;  // ToString() of the result
  } cases[] = {
      {"127.0.0.1:8600", "127.0.0.1:8600"},
      {"127.0.0.1", "127.0.0.1:53"},
      {"0.0.0.0:0", "0.0.0.0:0"},
      {"[::1]:8600", "[::1]:8600"},
      {"[::1]", "[::1]:53"},
      {"::1", "[::1]:53"},
      {"[2001:DB8:0::1]:53", "[2001:db8::1]:53"},
      {"127.0.0.1:65535", "127.0.0.1:65535"},
      {"127.0.0.1:65536", std::nullopt},
      {"127.0.0.1:000053", std::nullopt},
      {"127.0.0.1:", std::nullopt},
      {"127.0.0.1:-1", std::nullopt},
      {"127.0.0.1:x", std::nullopt},
      {" 127.0.0.1", std::nullopt},
      {"localhost:53", std::nullopt},
      {"127.1:53", std::nullopt},
      {"[127.0.0.1]:53", std::nullopt},
      {"[::1", std::nullopt},
      {"[::1]53", std::nullopt},
      {"[::1]:", std::nullopt},
      {"::1:53:x", std::nullopt},
      {":53", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto got = ParseAddress(c.text, 53);
    REQUIRE(got.has_value() == c.want.has_value());
    if (got) CHECK(got->ToString() == *c.want);
  }
}

TEST_CASE("an IP literal alone takes the given port", "[addr]") {
  CHECK(ParseIp("10.0.0.1", 53)->ToString() == "10.0.0.1:53");
  CHECK(ParseIp("2001:db8:0::53", 5353)->ToString() == "[2001:db8::53]:5353");
  CHECK_FALSE(ParseIp("10.0.0.1:53", 53).has_value());
  CHECK_FALSE(ParseIp("[::1]", 53).has_value());
  CHECK_FALSE(ParseIp("bogus", 53).has_value());
}

TEST_CASE("loopback and unspecified addresses are recognised in either family", "[addr]") {
  struct Case {
    const char* text;
    bool loopback;
    bool unspecified;
  } cases[] = {
      {"127.0.0.1", true, false}, {"127.9.9.9", true, false},
      {"::1", true, false},       {"0.0.0.0", false, true},
      {"::", false, true},        {"10.0.0.1", false, false},
      {"::2", false, false},      {"::ffff:127.0.0.1", false, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto a = ParseAddress(c.text, 53);
    REQUIRE(a.has_value());
    CHECK(a->IsLoopback() == c.loopback);
    CHECK(a->IsUnspecified() == c.unspecified);
  }
  CHECK(*ParseAddress("[0:0::1]:53", 0) == *ParseAddress("::1", 53));
}

TEST_CASE("socket addresses convert both ways", "[addr]") {
  for (const char* text : {"192.0.2.7:8600", "[2001:db8::7]:53", "0.0.0.0:0"}) {
    CAPTURE(text);
    auto a = ParseAddress(text, 53);
    REQUIRE(a.has_value());
    sockaddr_storage ss{};
    socklen_t length = a->ToSockaddr(ss);
    CHECK(length == (a->v6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in)));
    const auto* sa = reinterpret_cast<const sockaddr*>(&ss);
    CHECK(FromSockaddr(sa) == a);
    CHECK(FormatSockaddr(sa) == text);
  }
  sockaddr_storage ss{};
  CHECK(Address{"not-an-ip", 53}.ToSockaddr(ss) == 0);
  ss.ss_family = AF_UNIX;
  CHECK_FALSE(FromSockaddr(reinterpret_cast<const sockaddr*>(&ss)).has_value());
  CHECK(FormatSockaddr(reinterpret_cast<const sockaddr*>(&ss)) == "-");
  CHECK(FormatSockaddr(nullptr) == "-");
}

}  // namespace
}  // namespace dnsd::addr
