#include "dnsd/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "dnsd/log/formatter.h"

namespace dnsd {
namespace {

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
    case K::kNoteChanged:
      return "note changed";
    case K::kRestored:
      return "restored";
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
  std::unique_ptr<spdlog::formatter> formatter = dnsd::log::MakeFormatter(log.format);
  if (!formatter) {
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
