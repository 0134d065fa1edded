// For the tests of every /metrics family renderer (dnsd/metrics, dnsd/http).
#pragma once

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace dnsd::testing {

// Checks the text format rules promtool checks too: HELP/TYPE before a family's samples,
// each family declared once, and sample lines of the form name{labels} value.
inline void RequireWellFormed(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")"
      R"((,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? -?[0-9.e+]+$)");
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  std::set<std::string> typed;
  std::string current;
  std::istringstream lines(text);
  std::string line;
  REQUIRE(text.back() == '\n');
  while (std::getline(lines, line)) {
    INFO(line);
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) continue;
    if (std::regex_match(line, m, kType)) {
      CHECK(typed.insert(m[1]).second);
      current = m[1];
      continue;
    }
    REQUIRE(std::regex_match(line, m, kSample));
    std::string name = m[1];
    CHECK((name == current || name.rfind(current + "_", 0) == 0));
  }
}

}  // namespace dnsd::testing
