// Pieces of the Prometheus text exposition format (0.0.4), shared by every family's
// renderer: dnsd/metrics's own and dnsd/http's registry families. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dnsd::metrics {

// "# HELP name help\n# TYPE name type\n".
void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help);

// "name{labels} value\n"; labels ("k=\"v\",...") are already escaped, empty for none.
void Sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value);

// A label value escaped as the format requires (\\, \", \n).
std::string EscapeLabel(std::string_view value);

}  // namespace dnsd::metrics
