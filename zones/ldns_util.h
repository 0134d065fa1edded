// ldns ownership and conversion helpers shared by the two zone file parsers. Every ldns
// object is held by a unique_ptr with the matching ldns free function.
#pragma once

// clang-format off
// stdbool.h first: without __bool_true_false_are_defined, ldns/common.h defines bool,
// true and false as macros, which breaks the C++ standard headers under clang.
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace zones {

struct RrFree {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct RdfFree {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
struct BufferFree {
  void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};
struct CharFree {
  void operator()(char* text) const { std::free(text); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferFree>;
using CharPtr = std::unique_ptr<char, CharFree>;

// One record as the zone builder wants it: owner lower-case presentation form, rdata in
// uncompressed wire form with names as written.
struct RecordData {
  std::string owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
};

// Converts a parsed RR, or returns why it cannot be served (class other than IN, a meta
// type such as ANY or OPT, a wildcard owner, rdata over 65535 bytes).
std::variant<RecordData, std::string> ConvertRr(const ldns_rr& rr);

// Presentation form of a name, lower-cased ("Www.Example." -> "www.example.").
std::string LowerName(const ldns_rdf& name);

// A name from presentation text, or null when ldns rejects it.
RdfPtr NameFromString(const std::string& text);

// OPT and the query-only types (TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY).
bool IsMetaType(uint16_t type);

// "SOA", "A", "TYPE65280" ...
std::string TypeName(uint16_t type);

}  // namespace zones
