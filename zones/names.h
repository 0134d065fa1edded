// Helpers for domain names in dnsd's presentation form: lower-case, absolute, with the
// trailing dot, backslash escapes as ldns prints them ("a\.b.example."). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace zones {

// ASCII-only lower-casing (DNS compares labels case-insensitively in ASCII only).
std::string LowerAscii(std::string_view text);

// Lower-cases and appends the trailing dot when missing; "" stays "" (no domain).
std::string NormalizeOrigin(std::string_view name);

// The parent of an absolute name: "a.b." -> "b.", "b." -> ".", "." -> "" (none).
// Escaped dots ("a\.b.") do not split labels.
std::string_view ParentName(std::string_view name);

// True when name equals ancestor or lies below it (label-aware). Both lower-case.
bool IsAtOrBelow(std::string_view name, std::string_view ancestor);

// True when the leftmost label is "*".
bool IsWildcard(std::string_view name);

}  // namespace zones
