// The line formats of every dnsd log line (log.format): "text", or "json" where each
// line is one JSON object {"time","level","thread","msg"} with the message escaped as a
// JSON string. Used by dnsd/logging.cc for the process logger and by tests that capture
// log lines with their own sink. Pure factory; any thread.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace dnsd::log {

// A formatter for format "text" or "json"; null for anything else.
std::unique_ptr<spdlog::formatter> MakeFormatter(std::string_view format);

}  // namespace dnsd::log
