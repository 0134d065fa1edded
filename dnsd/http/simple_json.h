// Internal to dnsd/http: a fast path for the JSON request bodies clients send almost
// always, so that a registration does not pay for nlohmann's general parser.
//
// ParseSimpleObject accepts one JSON object whose values are strings of printable ASCII
// without escapes, non-negative integers (no fraction, exponent or sign), null, arrays of
// such strings, or objects of such strings, with no duplicated key at any level. For such
// a text it returns exactly the value nlohmann::json::parse returns. For anything else,
// valid or not, it returns nullopt and the caller runs the full parser, which makes every
// decision (and every error message) that is not this simple case. Pure, no exceptions
// beyond std::bad_alloc.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace dnsd::http::internal {

std::optional<nlohmann::json> ParseSimpleObject(std::string_view text);

}  // namespace dnsd::http::internal
