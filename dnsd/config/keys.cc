#include "dnsd/config/keys.h"

#include <algorithm>
#include <cstdio>

#include "dnsd/config/values.h"

namespace dnsd::config {

namespace {

using std::string;
using std::vector;

constexpr double kU32 = 4294967295.0;
constexpr double kMaxTtl = 2147483647.0;  // RFC 2181 §8
constexpr double kSecond = 1000.0, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;

void MarkZonesDirExplicit(Config& c) { c.zones_dir_explicit = true; }

// agent.token: "" is none, anything else a token.
string CheckOptionalToken(std::string_view text) { return text.empty() ? string() : CheckToken(text); }

// Omitted designated fields take their defaults; GCC still warns about them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
const KeySpec kKeys[] = {
  {.path = "dns.listen", .field = +[](Config& c) -> vector<addr::Address>& { return c.dns.listen; },
   .default_port = 8600, .help = "UDP and TCP addresses to answer DNS on; port 0 picks a free port"},
  {.path = "dns.domain", .field = +[](Config& c) -> string& { return c.dns.domain; },
   .normalize = NormalizeDomain, .check = CheckDomain,
   .help = "the service discovery domain D (lower-cased, trailing dot added)"},
  {.path = "dns.ttl", .field = +[](Config& c) -> uint32_t& { return c.dns.ttl; },
   .min = 0, .max = kMaxTtl, .help = "answer TTL in seconds when an instance has no dns_ttl"},
  {.path = "dns.negative_ttl", .field = +[](Config& c) -> uint32_t& { return c.dns.negative_ttl; },
   .min = 0, .max = kMaxTtl, .help = "SOA minimum: how long NXDOMAIN/NODATA may be cached (seconds)"},
  {.path = "dns.max_udp_size", .field = +[](Config& c) -> uint32_t& { return c.dns.max_udp_size; },
   .min = 512, .max = 65535, .help = "cap on the client's EDNS UDP size; larger answers set TC"},
  {.path = "dns.udp_answer_limit", .field = +[](Config& c) -> uint32_t& { return c.dns.udp_answer_limit; },
   .min = 0, .max = 65535, .help = "0 = off; N = answer UDP with N random records and no TC"},
  {.path = "dns.include_warning", .field = +[](Config& c) -> bool& { return c.dns.include_warning; },
   .help = "also answer with instances in the warning state"},
  {.path = "dns.upstreams", .field = +[](Config& c) -> vector<string>& { return c.dns.upstreams; },
   .check = CheckUpstream, .help = "resolvers for names outside D and the zones; \"system\" = resolv.conf"},
  {.path = "dns.upstream_timeout", .field = +[](Config& c) -> Duration& { return c.dns.upstream_timeout; },
   .min = 1, .max = kMinute, .help = "time to wait for one upstream before trying the next"},
  {.path = "dns.workers", .field = +[](Config& c) -> uint32_t& { return c.dns.workers; },
   .min = 0, .max = 256, .help = "DNS worker threads; 0 = one per core"},
  {.path = "dns.tcp_idle_timeout", .field = +[](Config& c) -> Duration& { return c.dns.tcp_idle_timeout; },
   .min = 1, .max = kHour, .help = "close a TCP connection idle this long"},
  {.path = "dns.tcp_max_connections", .field = +[](Config& c) -> uint32_t& { return c.dns.tcp_max_connections; },
   .min = 1, .max = 1'000'000, .help = "open TCP connections at most; more are refused"},
  {.path = "dns.advertise", .field = +[](Config& c) -> vector<string>& { return c.dns.advertise; },
   .check = CheckIpLiteral, .help = "addresses for ns.D; empty = the first dns.listen address"},
  {.path = "dns.chaos", .field = +[](Config& c) -> bool& { return c.dns.chaos; },
   .help = "answer CH TXT version.bind and id.server (else REFUSED)"},
  {.path = "http.listen", .field = +[](Config& c) -> vector<addr::Address>& { return c.http.listen; },
   .default_port = 8500, .help = "addresses of the HTTP API; port 0 picks a free port"},
  {.path = "http.max_body", .field = +[](Config& c) -> uint64_t& { return c.http.max_body; },
   .min = 1, .max = 64.0 * 1024 * 1024, .help = "largest request body in bytes (larger: 413)"},
  {.path = "http.max_connections", .field = +[](Config& c) -> uint32_t& { return c.http.max_connections; },
   .min = 1, .max = 1'000'000, .help = "open HTTP connections at most; more are closed at once"},
  {.path = "http.header_timeout", .field = +[](Config& c) -> Duration& { return c.http.header_timeout; },
   .min = 100, .max = kHour, .help = "a request head must arrive within this, else the connection closes"},
  {.path = "http.tls.cert", .field = +[](Config& c) -> string& { return c.http.tls_cert; },
   .help = "PEM certificate (chain) file; with http.tls.key the HTTP listeners speak HTTPS only"},
  {.path = "http.tls.key", .field = +[](Config& c) -> string& { return c.http.tls_key; },
   .help = "PEM private key file of http.tls.cert"},
  {.path = "registry.deregister_after", .field = +[](Config& c) -> Duration& { return c.registry.deregister_after; },
   .min = 0, .max = 365 * kDay, .help = "how long a critical instance is kept before removal"},
  {.path = "registry.max_instances", .field = +[](Config& c) -> uint64_t& { return c.registry.max_instances; },
   .min = 1, .max = kU32, .help = "instances the registry holds at most (more: 429)"},
  {.path = "registry.self_preservation.enabled",
   .field = +[](Config& c) -> bool& { return c.registry.self_preservation.enabled; },
   .help = "hold back lease lapses when too many happen at once"},
  {.path = "registry.self_preservation.threshold",
   .field = +[](Config& c) -> double& { return c.registry.self_preservation.threshold; },
   .min = 0, .max = 1, .min_exclusive = true,
   .help = "largest share of leased instances that may lapse within window"},
  {.path = "registry.self_preservation.window",
   .field = +[](Config& c) -> Duration& { return c.registry.self_preservation.window; },
   .min = 1, .max = kDay, .help = "period over which lapses are counted"},
  {.path = "registry.self_preservation.min_instances",
   .field = +[](Config& c) -> uint32_t& { return c.registry.self_preservation.min_instances; },
   .min = 0, .max = kU32, .help = "below this many leased instances self-preservation is off"},
  {.path = "zones.dir", .field = +[](Config& c) -> string& { return c.zones.dir; },
   .on_set = MarkZonesDirExplicit,
   .help = "directory of *.zone and *.yaml files; when set, it must exist"},
  {.path = "storage.data_dir", .field = +[](Config& c) -> string& { return c.storage.data_dir; },
   .help = "where the registry is persisted (SQLite, created if missing); empty = memory only"},
  {.path = "storage.fsync", .field = +[](Config& c) -> bool& { return c.storage.fsync; },
   .help = "answer a write only once it is on stable storage (group commit)"},
  {.path = "cluster.etcd", .field = +[](Config& c) -> vector<string>& { return c.cluster.etcd; },
   .check = CheckEtcdEndpoint, .help = "etcd v3 client URLs (http://HOST:PORT); empty = one node"},
  {.path = "cluster.prefix", .field = +[](Config& c) -> string& { return c.cluster.prefix; },
   .check = CheckClusterPrefix, .help = "the key prefix in etcd under which the registry lives"},
  {.path = "cluster.node", .field = +[](Config& c) -> string& { return c.cluster.node; },
   .check = CheckNodeName, .help = "this replica's name, unique in the cluster; empty = the host name"},
  {.path = "cluster.session_ttl", .field = +[](Config& c) -> Duration& { return c.cluster.session_ttl; },
   .min = 2000, .max = kHour, .help = "TTL of this replica's etcd lease: its instances outlive it this long"},
  {.path = "agent.servers", .field = +[](Config& c) -> vector<string>& { return c.agent.servers; },
   .check = CheckServerUrl,
   .help = "central dnsd URLs (http:// or https://HOST:PORT); set: this dnsd is an agent with a copy of their registry"},
  {.path = "agent.ca_file", .field = +[](Config& c) -> string& { return c.agent.ca_file; },
   .help = "PEM CA certificates that verify https:// agent.servers; empty = the system's CAs"},
  {.path = "agent.token", .field = +[](Config& c) -> string& { return c.agent.token; },
   .check = CheckOptionalToken, .help = "bearer token sent to agent.servers with agent.services' registrations"},
  {.path = "consul.datacenter", .field = +[](Config& c) -> string& { return c.consul.datacenter; },
   .check = CheckDatacenter,
   .help = "the datacenter the Consul API reports (a DNS label)"},
  {.path = "log.level", .field = +[](Config& c) -> string& { return c.log.level; },
   .choices = "debug|info|warn|error", .help = "least severe message logged"},
  {.path = "log.format", .field = +[](Config& c) -> string& { return c.log.format; },
   .choices = "text|json", .help = "log line format"},
  {.path = "log.queries", .field = +[](Config& c) -> bool& { return c.log.queries; },
   .help = "log one info line per DNS query (client, name, type, rcode, time)"},
};
// clang-format on
#pragma GCC diagnostic pop

string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

string Quote(const string& s) { return "\"" + s + "\""; }

template <typename T>
string JoinList(const vector<T>& items, string (*fmt)(const T&)) {
  string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + fmt(items[i]);
  return out + "]";
}

}  // namespace

std::span<const KeySpec> ConfigKeys() { return kKeys; }

const KeySpec* FindKey(std::string_view path) {
  for (const KeySpec& spec : kKeys) {
    if (spec.path == path) return &spec;
  }
  return nullptr;
}

bool IsSection(std::string_view path) {
  for (const KeySpec& spec : kKeys) {
    if (spec.path.size() > path.size() && spec.path.starts_with(path) &&
        spec.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

string SectionKeys(std::string_view section) {
  vector<std::string_view> children;
  for (const KeySpec& spec : kKeys) {
    std::string_view rest = spec.path;
    if (!section.empty()) {
      if (rest.size() <= section.size() || !rest.starts_with(section) ||
          rest[section.size()] != '.') {
        continue;
      }
      rest.remove_prefix(section.size() + 1);
    }
    std::string_view child = rest.substr(0, rest.find('.'));
    if (std::find(children.begin(), children.end(), child) == children.end()) {
      children.push_back(child);
    }
  }
  string out;
  for (std::string_view child : children) out += (out.empty() ? "" : ", ") + string(child);
  return out;
}

string TypeName(const KeySpec& spec) {
  struct Visitor {
    const KeySpec& s;
    string operator()(Field<bool>) const { return "bool"; }
    string operator()(Field<uint32_t>) const { return "integer"; }
    string operator()(Field<uint64_t>) const { return "integer"; }
    string operator()(Field<double>) const { return "number"; }
    string operator()(Field<Duration>) const { return "duration"; }
    string operator()(Field<string>) const { return s.choices.empty() ? "string" : "enum"; }
    string operator()(Field<vector<string>>) const { return "list of strings"; }
    string operator()(Field<vector<addr::Address>>) const { return "list of addresses"; }
  };
  return std::visit(Visitor{spec}, spec.field);
}

string RangeText(const KeySpec& spec) {
  if (!spec.choices.empty()) return string(spec.choices);
  if (std::holds_alternative<Field<Duration>>(spec.field)) {
    return FormatDuration(Duration(static_cast<int64_t>(spec.min))) + ".." +
           FormatDuration(Duration(static_cast<int64_t>(spec.max)));
  }
  bool numeric = std::holds_alternative<Field<uint32_t>>(spec.field) ||
                 std::holds_alternative<Field<uint64_t>>(spec.field) ||
                 std::holds_alternative<Field<double>>(spec.field);
  if (!numeric) return {};
  if (spec.min_exclusive) return "(" + Number(spec.min) + ", " + Number(spec.max) + "]";
  return Number(spec.min) + ".." + Number(spec.max);
}

string FormatValue(const KeySpec& spec, const Config& cfg) {
  Config copy = cfg;  // fields are reached through non-const accessors
  struct Visitor {
    Config& c;
    string operator()(Field<bool> f) const { return f(c) ? "true" : "false"; }
    string operator()(Field<uint32_t> f) const { return std::to_string(f(c)); }
    string operator()(Field<uint64_t> f) const { return std::to_string(f(c)); }
    string operator()(Field<double> f) const { return Number(f(c)); }
    string operator()(Field<Duration> f) const { return FormatDuration(f(c)); }
    string operator()(Field<string> f) const { return Quote(f(c)); }
    string operator()(Field<vector<string>> f) const {
      return JoinList<string>(f(c), [](const string& s) { return Quote(s); });
    }
    string operator()(Field<vector<addr::Address>> f) const {
      return JoinList<addr::Address>(f(c),
                                     [](const addr::Address& a) { return Quote(a.ToString()); });
    }
  };
  return std::visit(Visitor{copy}, spec.field);
}

}  // namespace dnsd::config
