// dnsd's configuration: one plain struct with SPEC §6 defaults, filled once at startup
// from the YAML file and then the command line (flags win), validated with every
// problem reported at once, and passed down by value/reference. No globals.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dnsd/addr/address.h"
#include "registry/registry.h"

namespace dnsd::config {

using Duration = std::chrono::milliseconds;

struct DnsConfig {
  std::vector<addr::Address> listen{{"127.0.0.1", 8600}};
  std::string domain = "discovery.";  // lower-case FQDN, trailing dot
  uint32_t ttl = 5;
  uint32_t negative_ttl = 5;
  uint32_t max_udp_size = 1232;
  uint32_t udp_answer_limit = 0;
  bool include_warning = false;
  std::vector<std::string> upstreams;  // raw entries: "10.0.0.2", "[::1]:53", "system"
  Duration upstream_timeout = std::chrono::seconds(2);
  uint32_t workers = 0;  // 0 = one per core
  Duration tcp_idle_timeout = std::chrono::seconds(10);
  uint32_t tcp_max_connections = 1024;
  std::vector<std::string> advertise;  // IP literals
  bool chaos = false;
};

// One of http.tokens (SPEC §12): a plain string may write every service; a mapping
// {token, services} only the services its patterns match ("api", "web-*"; lower-case).
struct HttpToken {
  std::string token;
  std::vector<std::string> services;  // patterns; used only when scoped
  bool scoped = false;
  int line = 0;  // where it is in the file, for messages
};

struct HttpConfig {
  std::vector<addr::Address> listen{{"127.0.0.1", 8500}};
  std::vector<HttpToken> tokens;
  uint64_t max_body = 65536;
  uint32_t max_connections = 4096;  // open connections at most; more are closed at once
  Duration header_timeout = std::chrono::seconds(10);  // a request head must arrive within
  std::string tls_cert;  // http.tls.cert / http.tls.key: both set = HTTPS only
  std::string tls_key;
};

struct ZonesConfig {
  std::string dir = "zones/";
};

struct StorageConfig {
  std::string data_dir;  // empty: memory only
  bool fsync = true;
};

// Cluster mode (SPEC §8): empty etcd = one node.
struct ClusterConfig {
  std::vector<std::string> etcd;  // "http://127.0.0.1:2379", ...
  std::string prefix = "/dnsd/";
  std::string node;  // empty: the host name
  Duration session_ttl = std::chrono::seconds(10);
};

// One of agent.services (SPEC §9): registered on the servers, checked here. spec.service
// is its name; an empty spec.id becomes "<name>-<host name>" and a missing address the
// host's first non-loopback address at startup (Server). Its checks may be exec checks.
struct AgentService {
  registry::InstanceSpec spec;
  int line = 0;  // where it is in the file, for messages
};

// Agent mode (SPEC §9): empty servers = not an agent.
struct AgentConfig {
  std::vector<std::string> servers;  // "http://10.0.0.2:8500", ...
  std::vector<AgentService> services;
  std::string token;  // sent to the servers as a bearer token when they require one
  std::string ca_file;  // PEM CAs that verify https:// servers; empty = the system's
};

struct ConsulConfig {
  std::string datacenter = "dc1";  // the Consul API's datacenter; <svc>.service.<dc>.D
};

struct LogConfig {
  std::string level = "info";   // debug|info|warn|error
  std::string format = "text";  // text|json
  bool queries = false;          // one info line per DNS query (dnsd/log/query_log.h)
};

struct Config {
  DnsConfig dns;
  HttpConfig http;
  registry::RegistryConfig registry;  // owned by registry/, embedded as is
  ZonesConfig zones;
  StorageConfig storage;
  ClusterConfig cluster;
  AgentConfig agent;
  ConsulConfig consul;
  LogConfig log;
  bool zones_dir_explicit = false;  // set by file or flag: a missing dir is then an error
};

// One problem found while reading the configuration.
struct ConfigError {
  std::string source;  // file name, or "command line"
  int line = 0;        // 1-based; 0 when unknown
  std::string key;     // dotted path, e.g. "dns.ttl"
  std::string message;
  std::string ToString() const;  // "dnsd.yaml:12: dns.ttl: must be an integer ..."
};

// Applies a YAML document on top of cfg. Appends every problem to errors.
void ApplyYaml(const std::string& text, const std::string& source, Config& cfg,
               std::vector<ConfigError>& errors);

// Cross-field checks after file and flags are applied (e.g. listen addresses parse,
// domain is a valid name, threshold within (0,1]).
void Validate(const Config& cfg, std::vector<ConfigError>& errors);

// Parses "500ms", "10s", "1m30s", "2h", or a plain number of seconds (SPEC §4).
std::optional<Duration> ParseDuration(const std::string& text);

// What the command line asked for.
struct CommandLine {
  Config config;
  bool check_config = false;
  bool show_version = false;
  bool exit_now = false;  // --help printed
  int exit_code = 0;
  std::vector<ConfigError> errors;
};

// Parses argv: reads --config FILE (if given) first, then applies flags over it, then
// runs Validate(). errors holds every problem of all three (exit_code is then 1).
// --help prints usage to stdout and sets exit_now; --version only sets show_version
// (no file is read). Never throws.
CommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace dnsd::config
