// Validate: every key's value against its table entry (for configs built in code), then
// the checks that involve more than one key.
#include <map>

#include "dnsd/config/apply.h"
#include "dnsd/config/config.h"
#include "dnsd/config/http_tokens.h"
#include "dnsd/config/keys.h"

namespace dnsd::config {

namespace {

void Add(std::vector<ConfigError>& errors, const std::string& key, const std::string& message) {
  errors.push_back({"", 0, key, message});
}

void CheckListenList(const std::vector<addr::Address>& list, const std::string& key,
                     std::vector<ConfigError>& errors) {
  if (list.empty()) Add(errors, key, "needs at least one address");
  std::map<std::string, int> count;
  for (const addr::Address& a : list) {
    if (a.port != 0 && ++count[a.ToString()] == 2) {
      Add(errors, key, a.ToString() + " is listed twice");
    }
  }
}

void CheckCrossFields(const Config& cfg, std::vector<ConfigError>& errors) {
  CheckListenList(cfg.dns.listen, "dns.listen", errors);
  CheckListenList(cfg.http.listen, "http.listen", errors);
  // DNS also listens on TCP: the same address and port cannot serve both.
  std::map<std::string, bool> dns;
  for (const addr::Address& d : cfg.dns.listen) dns[d.ToString()] = d.port != 0;
  for (const addr::Address& h : cfg.http.listen) {
    auto it = dns.find(h.ToString());
    if (it != dns.end() && it->second) {
      Add(errors, "http.listen", h.ToString() + " is also a dns.listen address");
      it->second = false;  // once is enough
    }
  }
  // One source of truth: etcd holds the registry in cluster mode (SPEC §8).
  if (!cfg.agent.servers.empty() && (!cfg.cluster.etcd.empty() || !cfg.storage.data_dir.empty())) {
    Add(errors, "agent.servers",
        "an agent keeps a copy of its servers' registry: it cannot also use cluster.etcd or "
        "storage.data_dir");
  }
  if (cfg.agent.servers.empty() && !cfg.agent.ca_file.empty()) {
    Add(errors, "agent.ca_file", "needs agent.servers: the https:// servers it verifies");
  }
  if (cfg.agent.servers.empty() && !cfg.agent.services.empty()) {
    Add(errors, "agent.services", "needs agent.servers: the servers to register them on");
  }
  // HTTPS needs both halves; the files themselves are read at startup (named if bad).
  if (cfg.http.tls_cert.empty() != cfg.http.tls_key.empty()) {
    Add(errors, cfg.http.tls_cert.empty() ? "http.tls.cert" : "http.tls.key",
        "http.tls needs both cert and key (or neither, for plain HTTP)");
  }
  if (!cfg.cluster.etcd.empty() && !cfg.storage.data_dir.empty()) {
    Add(errors, "cluster.etcd", "cannot be used with storage.data_dir: etcd holds the registry");
  }
  // Forwarding to ourselves would loop until the upstream timeout.
  for (const std::string& upstream : cfg.dns.upstreams) {
    auto parsed = addr::ParseAddress(upstream, 53);
    if (!parsed) continue;
    for (const addr::Address& d : cfg.dns.listen) {
      if (parsed->host == d.host && parsed->port == d.port) {
        Add(errors, "dns.upstreams", upstream + " is dnsd's own listen address");
      }
    }
  }
}

}  // namespace

void Validate(const Config& cfg, std::vector<ConfigError>& errors) {
  for (const KeySpec& spec : ConfigKeys()) CheckStoredValue(spec, cfg, errors);
  CheckHttpTokens(cfg, errors);
  CheckCrossFields(cfg, errors);
}

}  // namespace dnsd::config
