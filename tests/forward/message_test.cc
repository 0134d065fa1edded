#include "dnsd/forward/message.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dnsd::forward {
namespace {

std::vector<uint8_t> Name(const std::string& dotted) {
  std::vector<uint8_t> out;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), dotted.begin() + start, dotted.begin() + dot);
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

// ID 0xABCD, RD set, one question (A IN), optionally an OPT record.
std::vector<uint8_t> Query(const std::string& name, bool opt) {
  std::vector<uint8_t> q = {0xAB, 0xCD, 0x01, 0x00, 0, 1,
                            0,    0,    0,    0,    0, static_cast<uint8_t>(opt ? 1 : 0)};
  auto n = Name(name);
  q.insert(q.end(), n.begin(), n.end());
  q.insert(q.end(), {0, 1, 0, 1});
  if (opt) q.insert(q.end(), {0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0});
  return q;
}

TEST_CASE("SERVFAIL echoes ID, RD and question and sets RA", "[forward]") {
  auto query = Query("WwW.Example.COM", false);
  std::vector<uint8_t> out;
  REQUIRE(BuildServfail(query, out));
  REQUIRE(out.size() == query.size());
  CHECK(out[0] == 0xAB);
  CHECK(out[1] == 0xCD);
  CHECK(out[2] == 0x81);  // QR, RD
  CHECK(out[3] == 0x82);  // RA, SERVFAIL
  CHECK(std::equal(query.begin() + 12, query.end(), out.begin() + 12));
  CHECK(out[11] == 0);  // no OPT
}

TEST_CASE("SERVFAIL carries an OPT record when the query had one", "[forward]") {
  auto query = Query("example.com", true);
  std::vector<uint8_t> out;
  REQUIRE(BuildServfail(query, out));
  CHECK(out[11] == 1);
  REQUIRE(out.size() == 12 + Name("example.com").size() + 4 + 11);
  CHECK(out[out.size() - 11] == 0);  // root owner
  CHECK(out[out.size() - 10] == 0);
  CHECK(out[out.size() - 9] == 41);  // TYPE OPT
}

TEST_CASE("SERVFAIL is refused for unreadable queries", "[forward]") {
  std::vector<uint8_t> out;
  CHECK_FALSE(BuildServfail(std::vector<uint8_t>{1, 2, 3}, out));
  auto query = Query("example.com", false);
  query.resize(query.size() - 2);  // question cut short
  CHECK_FALSE(BuildServfail(query, out));
  query = Query("example.com", false);
  query[5] = 2;  // QDCOUNT 2
  CHECK_FALSE(BuildServfail(query, out));
  query = Query("example.com", false);
  query[12] = 0xC0;  // a compression pointer in the question
  CHECK_FALSE(BuildServfail(query, out));
  CHECK(out.empty());
}

TEST_CASE("an upstream answer gets the client's ID, spelling and RA", "[forward]") {
  auto query = Query("WwW.Example.COM", false);
  auto answer = Query("www.example.com", false);
  answer[0] = 0x12;
  answer[1] = 0x34;
  answer[2] = 0x81;
  answer[3] = 0x00;
  RestoreClientView(query, answer);
  CHECK(answer[0] == 0xAB);
  CHECK(answer[1] == 0xCD);
  CHECK(answer[3] == 0x80);
  CHECK(std::equal(query.begin() + 12, query.end(), answer.begin() + 12));

  auto other = Query("www.example.org", false);  // a different name is left alone
  RestoreClientView(query, other);
  CHECK(other == [&] {
    auto o = Query("www.example.org", false);
    o[3] |= 0x80;
    return o;
  }());
}

}  // namespace
}  // namespace dnsd::forward
