// The data dir's record format (docs/DESIGN.md, "The data dir"): one instance as stored.
// A record is a 4-byte big-endian CRC-32 of the body, then the body: every field that
// survives a restart (data, health, note, index; never lease deadlines, which are renewed
// at load) in a fixed order, integers as LEB128 varints and strings length-prefixed
// (binary, not JSON: decoding 10^6 JSON documents took most of a restart). Decoding
// checks every length and range against the registry's limits. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "registry/instance.h"
#include "registry/result.h"

namespace dnsd::store {

inline constexpr int kFormatVersion = 1;

// "svc/id": the row key of an instance (labels never hold '/').
std::string RecordKey(std::string_view service, std::string_view id);

std::string EncodeInstance(const registry::Instance& instance);
// The instance, or why the bytes are not a record (checksum, JSON, a field).
registry::Result<registry::Instance> DecodeInstance(std::string_view record);

}  // namespace dnsd::store
