// Consul names as DNS labels (SPEC §10, docs/CONSUL.md "Names"). A Consul service Name or
// ID that is already a DNS label is used lower-cased. Any other is mapped by a fixed rule:
// lower-case, every character other than a-z, 0-9 and '-' becomes '-', leading and
// trailing '-' are dropped, the result is cut to 56 characters, and "-" plus 6 hex digits
// of the FNV-1a hash of the original are appended. The same input always gives the same
// label; distinct inputs differ unless 24 bits of hash collide. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace dnsd::http {

std::string ConsulLabel(std::string_view name);

}  // namespace dnsd::http
