// Logging for the dnsd binary: spdlog's default logger, writing to stderr (stdout is
// reserved for the startup line), in text or JSON lines as config.log says; and an
// observer that logs the registry's lifecycle events.
//
// Thread: SetupLogging runs once in main before any other thread starts; spdlog's
// default logger is thread-safe afterwards. The observer runs on the control thread.
#pragma once

#include <string>

#include "dnsd/config/config.h"
#include "registry/registry.h"

namespace dnsd {

// Installs the default logger. Returns false and fills error for an unknown level or
// format (config validation normally catches those first).
bool SetupLogging(const config::LogConfig& log, std::string& error);

// Logs register, lapse, removal and self-preservation enter/leave at info; other
// changes (updates, health changes, held-back lapses) at debug.
class RegistryEventLogger final : public registry::RegistryObserver {
 public:
  void OnRegistryEvent(const registry::RegistryEvent& event) override;
};

}  // namespace dnsd
