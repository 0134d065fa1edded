#include "dnsd/log/dns_text.h"

#include <catch2/catch.hpp>

#include "tests/log/capture.h"

namespace dnsd::log {
namespace {

TEST_CASE("types, classes and rcodes have mnemonics or RFC 3597 style numbers", "[log]") {
  CHECK(TypeText(1) == "A");
  CHECK(TypeText(33) == "SRV");
  CHECK(TypeText(255) == "ANY");
  CHECK(TypeText(0) == "TYPE0");
  CHECK(TypeText(65535) == "TYPE65535");
  CHECK(ClassText(1) == "IN");
  CHECK(ClassText(3) == "CH");
  CHECK(ClassText(42) == "CLASS42");
  CHECK(RcodeText(0) == "NOERROR");
  CHECK(RcodeText(3) == "NXDOMAIN");
  CHECK(RcodeText(5) == "REFUSED");
  CHECK(RcodeText(16) == "BADVERS");
  CHECK(RcodeText(12) == "RCODE12");
}

TEST_CASE("a summary reads header, question as spelled and stops at what does not parse", "[log]") {
  auto m = testing::Message(0x8580, {"Db", "Internal"}, 28, 1, 1);
  testing::AddRecord(m, 28, 1, 60, std::vector<uint8_t>(16, 0));
  MessageSummary s = Summarize(m, true);
  CHECK(s.has_header);
  CHECK(s.id == 0x1234);
  CHECK(s.qr());
  CHECK(s.aa());
  CHECK(s.rd());
  CHECK(s.ra());
  CHECK_FALSE(s.tc());
  CHECK(s.has_question);
  CHECK(s.qname == "Db.Internal.");
  CHECK(s.qtype == 28);
  CHECK(s.ancount == 1);
  CHECK(s.records_ok);

  m.pop_back();  // the record's rdata now overruns
  s = Summarize(m, true);
  CHECK(s.has_question);
  CHECK_FALSE(s.records_ok);

  auto root = testing::Message(0, {}, 2);
  CHECK(Summarize(root, false).qname == ".");

  std::vector<uint8_t> long_name = testing::Message(0, {}, 1);
  long_name.resize(12);
  for (int i = 0; i < 5; ++i) {  // 5 x 64 = 320 bytes: over 255
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
  CHECK_FALSE(Summarize(long_name, false).has_question);
}

}  // namespace
}  // namespace dnsd::log
