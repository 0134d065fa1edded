// dnsd: authoritative DNS for service discovery (see SPEC.md). main parses the command
// line, handles --version and --check-config, and runs the Server.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>

#include "dnsd/config/config.h"
#include "dnsd/logging.h"
#include "dnsd/server.h"

#ifndef DNSD_VERSION
#define DNSD_VERSION "dev"
#endif

namespace {

int CheckConfig(const dnsd::config::CommandLine& cl) {
  std::vector<std::string> problems;
  for (const dnsd::config::ConfigError& e : cl.errors) problems.push_back(e.ToString());
  // Zone files and resolv.conf are read even when the file has errors: every problem
  // is reported in one run.
  for (std::string& p : dnsd::CheckResources(cl.config)) problems.push_back(std::move(p));
  for (const std::string& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
  if (!problems.empty()) return 1;
  std::printf("config OK\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer closing a TCP connection must not kill the process; write errors are handled.
  signal(SIGPIPE, SIG_IGN);
  dnsd::config::CommandLine cl = dnsd::config::ParseCommandLine(argc, argv);
  if (cl.exit_now) return cl.exit_code;
  if (cl.show_version) {
    std::printf("dnsd %s\n", DNSD_VERSION);
    return 0;
  }
  if (cl.check_config) return CheckConfig(cl);
  if (!cl.errors.empty()) {
    for (const dnsd::config::ConfigError& e : cl.errors) {
      std::fprintf(stderr, "dnsd: %s\n", e.ToString().c_str());
    }
    return 2;
  }
  std::string error;
  if (!dnsd::SetupLogging(cl.config.log, error)) {
    std::fprintf(stderr, "dnsd: %s\n", error.c_str());
    return 2;
  }
  try {
    dnsd::Server server(std::move(cl.config));
    return server.Run();
  } catch (const std::exception& e) {
    spdlog::critical("startup failed: {}", e.what());
    return 1;
  }
}
