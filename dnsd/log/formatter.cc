#include "dnsd/log/formatter.h"

#include <spdlog/pattern_formatter.h>

namespace dnsd::log {
namespace {

// %j: the message as the contents of a JSON string (quotes, backslashes and control
// characters escaped), so every log line in json format is one valid JSON object.
// Bytes >= 0x80 pass through: dnsd's own messages escape them (names use \DDD).
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    auto put = [&dest](std::string_view s) { dest.append(s.data(), s.data() + s.size()); };
    for (char c : msg.payload) {
      switch (c) {
        case '"':
          put("\\\"");
          break;
        case '\\':
          put("\\\\");
          break;
        case '\n':
          put("\\n");
          break;
        case '\r':
          put("\\r");
          break;
        case '\t':
          put("\\t");
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
            dest.append(esc, esc + 6);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l %v";
constexpr const char* kJsonPattern =
    R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%j"})";

}  // namespace

std::unique_ptr<spdlog::formatter> MakeFormatter(std::string_view format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == "json") {
    formatter->add_flag<JsonMessageFlag>('j').set_pattern(kJsonPattern);
  } else if (format == "text") {
    formatter->set_pattern(kTextPattern);
  } else {
    return nullptr;
  }
  return formatter;
}

}  // namespace dnsd::log
