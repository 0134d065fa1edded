#include "dnsd/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace dnsd {
namespace {

// %j: the message as the contents of a JSON string (quotes, backslashes and control
// characters escaped), so every log line in json format is one valid JSON object.
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

std::string_view KindName(registry::RegistryEvent::Kind kind) {
  using K = registry::RegistryEvent::Kind;
  switch (kind) {
    case K::kRegistered:
      return "registered";
    case K::kUpdated:
      return "updated";
    case K::kHealthChanged:
      return "health changed";
    case K::kLeaseLapsed:
      return "lease lapsed";
    case K::kLapseHeldBack:
      return "lease lapse held back (self-preservation)";
    case K::kRemoved:
      return "removed";
    case K::kSelfPreservationEntered:
      return "self-preservation entered";
    case K::kSelfPreservationLeft:
      return "self-preservation left";
    case K::kLapseCancelled:
      return "held-back lapse cancelled";
  }
  return "event";
}

}  // namespace

bool SetupLogging(const config::LogConfig& log, std::string& error) {
  spdlog::level::level_enum level = spdlog::level::from_str(log.level);
  if (level == spdlog::level::off && log.level != "off") {
    error = "log.level: unknown level \"" + log.level + "\"";
    return false;
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (log.format == "json") {
    formatter->add_flag<JsonMessageFlag>('j').set_pattern(kJsonPattern);
  } else if (log.format == "text") {
    formatter->set_pattern(kTextPattern);
  } else {
    error = "log.format: must be text or json";
    return false;
  }
  auto logger =
      std::make_shared<spdlog::logger>("dnsd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

void RegistryEventLogger::OnRegistryEvent(const registry::RegistryEvent& event) {
  using K = registry::RegistryEvent::Kind;
  switch (event.kind) {
    case K::kRegistered:
    case K::kLeaseLapsed:
      spdlog::info("{} {}/{} (index {})", KindName(event.kind), event.service, event.id,
                   event.index);
      break;
    case K::kRemoved:
      spdlog::info("removed {}/{}: {} (index {})", event.service, event.id,
                   registry::RemovalReasonName(event.reason), event.index);
      break;
    case K::kSelfPreservationEntered:
    case K::kSelfPreservationLeft:
      spdlog::info("{} (index {})", KindName(event.kind), event.index);
      break;
    case K::kHealthChanged:
      spdlog::debug("{}/{} is {} (index {})", event.service, event.id,
                    registry::HealthName(event.health), event.index);
      break;
    default:
      spdlog::debug("{} {}/{} (index {})", KindName(event.kind), event.service, event.id,
                    event.index);
  }
}

}  // namespace dnsd
