// ParseCommandLine: CLI11 for the flags, then the file (--config), then the flags on top
// through the same key table, then Validate(). Never throws: every problem becomes a
// ConfigError.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "dnsd/config/apply.h"
#include "dnsd/config/config.h"
#include "dnsd/config/keys.h"

namespace dnsd::config {

namespace {

constexpr const char* kCommandLine = "command line";

// A flag that sets one table key; lists take one value per occurrence.
struct FlagSpec {
  const char* flag;
  const char* key;
  const char* type_name;
  const char* help;
};

const FlagSpec kFlags[] = {
    {"--dns-listen", "dns.listen", "ADDR:PORT", "DNS address (UDP+TCP); repeat for more"},
    {"--http-listen", "http.listen", "ADDR:PORT", "HTTP API address; repeat for more"},
    {"--domain", "dns.domain", "D", "service discovery domain (default discovery.)"},
    {"--zones", "zones.dir", "DIR", "directory of *.zone and *.yaml files"},
    {"--upstream", "dns.upstreams", "ADDR[:PORT]",
     "upstream resolver or \"system\"; repeat for more"},
    {"--ttl", "dns.ttl", "SECONDS", "answer TTL"},
    {"--workers", "dns.workers", "N", "DNS worker threads (0 = one per core)"},
    {"--data-dir", "storage.data_dir", "DIR", "directory the registry is persisted in"},
    {"--log-level", "log.level", "LEVEL", "debug|info|warn|error"},
};

bool IsList(const KeySpec& spec) {
  return std::holds_alternative<Field<std::vector<std::string>>>(spec.field) ||
         std::holds_alternative<Field<std::vector<addr::Address>>>(spec.field);
}

bool ReadFile(const std::string& path, std::string& out, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::string("cannot read the configuration file: ") + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    problem = "cannot read the configuration file";
    return false;
  }
  out = std::move(buffer).str();
  return true;
}

struct Parsed {
  std::string config_file;
  std::vector<std::vector<std::string>> values{std::size(kFlags)};
};

void AddOptions(CLI::App& app, Parsed& parsed, CommandLine& out) {
  app.add_option("--config", parsed.config_file, "YAML configuration file")->type_name("FILE");
  for (size_t i = 0; i < std::size(kFlags); ++i) {
    const FlagSpec& f = kFlags[i];
    CLI::Option* option = app.add_option(f.flag, parsed.values[i], f.help)->type_name(f.type_name);
    option->type_size(1)->expected(1)->allow_extra_args(false);
    if (IsList(*FindKey(f.key))) {
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    } else {
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
  app.add_flag("--check-config", out.check_config,
               "validate the configuration, print every problem, exit 0/1");
  app.add_flag("--version", out.show_version, "print the version and exit");
}

// Flags win over the file; a list flag replaces the file's whole list.
void ApplyFlags(const Parsed& parsed, Config& cfg, std::vector<ConfigError>& errors) {
  Reporter rep{kCommandLine, errors};
  for (size_t i = 0; i < std::size(kFlags); ++i) {
    const std::vector<std::string>& values = parsed.values[i];
    if (values.empty()) continue;
    const KeySpec& spec = *FindKey(kFlags[i].key);
    YAML::Node node;
    if (IsList(spec)) {
      for (const std::string& v : values) node.push_back(v);
    } else {
      node = values.back();
    }
    ApplyValue(spec, node, 0, kFlags[i].flag, false, cfg, rep);
  }
}

void Run(int argc, const char* const* argv, CommandLine& out) {
  CLI::App app{"dnsd: authoritative DNS server for service discovery", "dnsd"};
  Parsed parsed;
  AddOptions(app, parsed, out);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    out.exit_now = true;
    return;
  } catch (const CLI::ParseError& e) {
    out.errors.push_back({kCommandLine, 0, "", e.what()});
    return;
  }
  if (out.show_version) return;
  if (!parsed.config_file.empty()) {
    std::string text, problem;
    if (ReadFile(parsed.config_file, text, problem)) {
      ApplyYaml(text, parsed.config_file, out.config, out.errors);
    } else {
      out.errors.push_back({parsed.config_file, 0, "", problem});
    }
  }
  ApplyFlags(parsed, out.config, out.errors);
  Validate(out.config, out.errors);
}

}  // namespace

CommandLine ParseCommandLine(int argc, const char* const* argv) {
  CommandLine out;
  try {
    Run(argc, argv, out);
  } catch (const std::exception& e) {
    out.errors.push_back({kCommandLine, 0, "", std::string("unexpected error: ") + e.what()});
  } catch (...) {
    out.errors.push_back({kCommandLine, 0, "", "unexpected error"});
  }
  if (!out.errors.empty()) out.exit_code = 1;
  return out;
}

}  // namespace dnsd::config
