// dnsd: authoritative DNS for service discovery (see SPEC.md). main parses the command
// line, handles --version and --check-config, and runs the Server.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
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

// Every connection takes a descriptor: the soft RLIMIT_NOFILE (often 1024) is raised
// towards what http.max_connections and dns.tcp_max_connections may hold open, as far as
// the hard limit allows, so that the limits of SPEC §12 are dnsd's and not EMFILE's.
void RaiseFileLimit(const dnsd::config::Config& cfg) {
  const rlim_t wanted = rlim_t{cfg.http.max_connections} + cfg.dns.tcp_max_connections + 256;
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (target > limit.rlim_cur) {
    limit.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < wanted) {
    spdlog::warn(
        "open files limit is {}, below http.max_connections + dns.tcp_max_connections + 256 = {}: "
        "connections beyond it fail to be accepted",
        static_cast<uint64_t>(limit.rlim_cur), static_cast<uint64_t>(wanted));
  }
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
  RaiseFileLimit(cl.config);
  try {
    dnsd::Server server(std::move(cl.config));
    return server.Run();
  } catch (const std::exception& e) {
    spdlog::critical("startup failed: {}", e.what());
    return 1;
  }
}
