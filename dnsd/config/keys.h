// The one declarative table of every configuration key (Knot DNS style): dotted path,
// type (from the field it sets), range or choices, per-value check, and help text. The
// YAML reader, the command line, Validate() and docs/CONFIG.md all follow it; the
// defaults are the ones in Config's member initialisers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dnsd/config/config.h"

namespace dnsd::config {

template <typename T>
using Field = T& (*)(Config&);

using FieldRef = std::variant<Field<bool>, Field<uint32_t>, Field<uint64_t>, Field<double>,
                              Field<Duration>, Field<std::string>, Field<std::vector<std::string>>,
                              Field<std::vector<addr::Address>>>;

struct KeySpec {
  std::string_view path;  // "registry.self_preservation.threshold"
  FieldRef field;
  double min = 0;  // integers and numbers: bounds; durations: milliseconds
  double max = 0;
  bool min_exclusive = false;
  std::string_view choices;                              // enums: "debug|info|warn|error"
  uint16_t default_port = 0;                             // listen-address lists
  std::string (*normalize)(std::string_view) = nullptr;  // applied before check
  std::string (*check)(std::string_view) = nullptr;      // strings and list elements
  void (*on_set)(Config&) = nullptr;
  std::string_view help;
};

std::span<const KeySpec> ConfigKeys();
const KeySpec* FindKey(std::string_view path);
// True when path names a section that holds keys ("dns", "registry.self_preservation").
bool IsSection(std::string_view path);
// The direct children of a section, for messages: "enabled, threshold, window, ...".
std::string SectionKeys(std::string_view section);

// For docs and messages: "bool", "integer", "number", "duration", "string", "enum",
// "list of strings", "list of addresses".
std::string TypeName(const KeySpec& spec);
// "512..65535", "(0, 1]", "1ms..1m", "debug|info|warn|error", or "" when unbounded.
std::string RangeText(const KeySpec& spec);
// The key's value in cfg as YAML would write it: 5, 2s, "discovery.", ["127.0.0.1:8600"].
std::string FormatValue(const KeySpec& spec, const Config& cfg);

}  // namespace dnsd::config
