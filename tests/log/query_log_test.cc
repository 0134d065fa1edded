#include "dnsd/log/query_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/log/capture.h"

namespace dnsd::log {
namespace {

using testing::AddRecord;
using testing::CaptureLog;
using testing::Message;

constexpr uint16_t kSrv = 33;
constexpr uint16_t kRecursionDesired = 0x0100;
constexpr uint16_t kAuthoritativeAnswer = 0x8400;  // QR + AA

sockaddr_in V4(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

sockaddr_in6 V6(const char* ip, uint16_t port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

const sockaddr* Sa(const auto& a) { return reinterpret_cast<const sockaddr*>(&a); }

// The message part of a text line: after "<time> <level> ".
std::string TextMessage(const std::string& line) {
  size_t first = line.find(' ');
  size_t second = line.find(' ', first + 1);
  return line.substr(second + 1);
}

struct Exchange {
  std::vector<uint8_t> query;
  std::vector<uint8_t> response;
};

Exchange SrvExchange() {
  Exchange e;
  e.query = Message(kRecursionDesired, {"Web", "Service", "internal"}, kSrv);
  e.response =
      Message(kAuthoritativeAnswer | kRecursionDesired, {"web", "service", "internal"}, kSrv, 1, 3);
  for (int i = 0; i < 3; ++i) AddRecord(e.response, kSrv, 1, 5, {0, 1, 0, 1, 0x1f, 0x90, 0});
  return e;
}

TEST_CASE("a query log line names client, transport, name as asked, type, rcode and more",
          "[log][query]") {
  CaptureLog capture("text");
  Exchange e = SrvExchange();
  sockaddr_in peer = V4("127.0.0.1", 53211);
  LogQuery({Sa(peer), false, e.query, e.response, false, 0.000041});
  REQUIRE(capture.lines().size() == 1);
  const std::string& line = capture.lines()[0];
  CHECK(line.find(" info ") != std::string::npos);
  CHECK(TextMessage(line) ==
        "query client=127.0.0.1:53211 proto=udp name=Web.Service.internal. type=SRV "
        "rcode=NOERROR answers=3 size=" +
            std::to_string(e.response.size()) + " flags=aa,rd forwarded=no time=0.000041s");
}

TEST_CASE("the query log line is the msg of one JSON object in json format", "[log][query]") {
  CaptureLog capture("json");
  Exchange e = SrvExchange();
  sockaddr_in6 peer = V6("::1", 5300);
  LogQuery({Sa(peer), true, e.query, e.response, true, 1.5});
  REQUIRE(capture.lines().size() == 1);
  nlohmann::json j = nlohmann::json::parse(capture.lines()[0]);
  CHECK(j["level"] == "info");
  std::string msg = j["msg"];
  CHECK(msg.starts_with("query client=[::1]:5300 proto=tcp name=Web.Service.internal. type=SRV "));
  CHECK(msg.ends_with(" forwarded=yes time=1.500000s"));
}

TEST_CASE("odd bytes in a name are escaped so the line stays one token per field", "[log][query]") {
  const std::string odd = std::string("a b\"c.d\\e{}\x01", 12) + std::string(1, '\0') + "\xff";
  auto query = Message(0, {odd, "example"}, 1);
  for (const char* format : {"text", "json"}) {
    CaptureLog capture(format);
    LogQuery({nullptr, false, query, {}, false, 0});
    REQUIRE(capture.lines().size() == 1);
    std::string msg = format == std::string("json")
                          ? nlohmann::json::parse(capture.lines()[0])["msg"].get<std::string>()
                          : TextMessage(capture.lines()[0]);
    CHECK(msg ==
          "query client=- proto=udp name=a\\032b\"c\\.d\\\\e{}\\001\\000\\255.example. type=A "
          "rcode=- answers=- size=0 flags=- forwarded=no time=0.000000s");
    for (char c : capture.lines()[0]) CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
}

TEST_CASE("class is shown only when it is not IN; unknown types use TYPEnnn", "[log][query]") {
  struct Case {
    uint16_t qtype, qclass;
    std::string expect;
  };
  const Case cases[] = {
      {16, 3, " type=TXT class=CH "},
      {1, 1, " type=A rcode="},
      {65280, 1, " type=TYPE65280 rcode="},
      {1, 5, " type=A class=CLASS5 "},
  };
  for (const Case& c : cases) {
    auto q = Message(0, {"version", "bind"}, c.qtype, c.qclass);
    std::string msg = FormatQuery({nullptr, false, q, {}, false, 0});
    CHECK_THAT(msg, Catch::Contains(c.expect));
  }
}

TEST_CASE("an extended rcode in the response's OPT record is logged", "[log][query]") {
  auto query = Message(0, {"x"}, 1);
  auto response = Message(0x8000, {"x"}, 1);
  response[11] = 1;  // arcount
  // OPT: root owner, type 41, class 1232, TTL with extended rcode 1 (16 = BADVERS).
  std::vector<uint8_t> opt = {0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0};
  response.insert(response.end(), opt.begin(), opt.end());
  std::string msg = FormatQuery({nullptr, false, query, response, false, 0});
  CHECK_THAT(msg, Catch::Contains(" rcode=BADVERS answers=0 "));
  CHECK_THAT(msg, Catch::Contains(" flags=- "));
}

TEST_CASE("nothing is formatted below the info level", "[log][query]") {
  CaptureLog capture("text", spdlog::level::warn);
  Exchange e = SrvExchange();
  LogQuery({nullptr, false, e.query, e.response, false, 0});
  CHECK(capture.lines().empty());
}

TEST_CASE("a malformed-packet warning says who, how big, why and how many were suppressed",
          "[log][malformed]") {
  CaptureLog capture("text");
  sockaddr_in peer = V4("10.1.2.3", 4000);
  const std::vector<uint8_t> five = {1, 2, 3, 4, 5};
  WarnMalformed(Sa(peer), five, 0);
  WarnMalformed(Sa(peer), five, 41);
  REQUIRE(capture.lines().size() == 2);
  CHECK(capture.lines()[0].find(" warning ") != std::string::npos);
  CHECK(TextMessage(capture.lines()[0]) ==
        "malformed packet client=10.1.2.3:4000 size=5: short header");
  CHECK(TextMessage(capture.lines()[1]) ==
        "malformed packet client=10.1.2.3:4000 size=5: short header (41 similar suppressed)");
}

TEST_CASE("the reason for a malformed packet is told when cheap", "[log][malformed]") {
  auto response = Message(0x8000, {"a"}, 1);
  auto no_question = Message(0, {"a"}, 1);
  no_question[5] = 0;
  auto two_questions = Message(0, {"a"}, 1);
  two_questions[5] = 2;
  auto overrun = Message(0, {"abc"}, 1);
  overrun[12] = 40;  // label runs past the end
  auto pointer = Message(0, {"a"}, 1);
  pointer[12] = 0xC0;
  auto truncated_question = Message(0, {"a"}, 1);
  truncated_question.resize(truncated_question.size() - 2);
  auto bad_record = Message(0, {"a"}, 1);
  bad_record[11] = 1;  // arcount 1, no record
  auto fine = Message(0, {"a"}, 1);
  struct Case {
    std::vector<uint8_t> packet;
    std::string_view reason;
  };
  const Case cases[] = {
      {{}, "short header"},
      {{0, 0, 0}, "short header"},
      {response, "QR=1 (a response)"},
      {no_question, "no question"},
      {two_questions, "more than one question"},
      {overrun, "bad question"},
      {pointer, "bad question"},
      {truncated_question, "bad question"},
      {bad_record, "bad record section"},
      {fine, "unparsable"},
  };
  for (const Case& c : cases) CHECK(MalformedReason(c.packet) == c.reason);
}

TEST_CASE("garbage in query or response still gives exactly one line each", "[log][query]") {
  CaptureLog capture("json");
  std::mt19937 rng(12345);
  constexpr int kRounds = 2000;
  for (int i = 0; i < kRounds; ++i) {
    std::vector<uint8_t> a(rng() % 80), b(rng() % 80);
    for (auto& x : a) x = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 64 : rng());
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (a.size() > 5) a[5] = 1;  // often one question, so the name parser runs
    LogQuery({nullptr, (i & 1) != 0, a, b, false, 0});
    WarnMalformed(nullptr, a, static_cast<uint64_t>(i));
  }
  REQUIRE(capture.lines().size() == 2 * kRounds);
  for (const std::string& line : capture.lines()) {
    CHECK_NOTHROW(nlohmann::json::parse(line));
  }
}

TEST_CASE("peers print as ADDR:PORT, [ADDR6]:PORT or -", "[log]") {
  sockaddr_in v4 = V4("192.0.2.1", 53);
  sockaddr_in6 v6 = V6("2001:db8::1", 8600);
  sockaddr other{};
  other.sa_family = AF_UNIX;
  CHECK(FormatPeer(Sa(v4)) == "192.0.2.1:53");
  CHECK(FormatPeer(Sa(v6)) == "[2001:db8::1]:8600");
  CHECK(FormatPeer(&other) == "-");
  CHECK(FormatPeer(nullptr) == "-");
}

}  // namespace
}  // namespace dnsd::log
