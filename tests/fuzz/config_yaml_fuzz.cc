// Fuzz target: the YAML configuration loader (dnsd/config): any bytes as a dnsd.yaml
// applied over the defaults, then the cross-field checks. Checks, besides the sanitizers:
// nothing escapes as an exception (yaml-cpp throws; the loader must turn everything
// into a ConfigError), and every problem reported names its source.
#include <cstdint>
#include <string>
#include <vector>

#include "dnsd/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  dnsd::config::Config cfg;
  std::vector<dnsd::config::ConfigError> errors;
  dnsd::config::ApplyYaml(text, "fuzz.yaml", cfg, errors);
  dnsd::config::Validate(cfg, errors);
  for (const auto& e : errors) {
    if (e.message.empty()) __builtin_trap();
    (void)e.ToString();
  }
  return 0;
}
