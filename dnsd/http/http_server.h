// HttpServer: the SPEC §4 HTTP API served by h2o on the control thread's libuv loop.
//
// It owns its listeners and connections; it reads the Registry directly (same thread)
// and submits every accepted write to the Store, answering once the store calls back
// (at once for the memory store, after the group commit for a data dir). The store has
// applied and published the change by then, so a registration is visible in the very
// next DNS answer.
// Blocking queries wait on the registry's change events (it registers itself as a
// RegistryObserver) and on one timer shared by all; thousands of waiters cost a map entry
// each. Everything runs on the loop's thread; the registry must outlive the server.
// After Listen() (even a failed one), call Shutdown() and let the loop run until
// on_closed before destroying the server; a server destroyed earlier runs the loop
// briefly itself to close its handles (a fallback, logged as an error).
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dnsd/addr/address.h"
#include "dnsd/http/access.h"
#include "registry/registry.h"
#include "registry/store.h"

namespace dnsd::http {

struct HttpServerOptions {
  std::vector<addr::Address> listen;
  std::vector<AccessToken> tokens;  // empty: writes need no token
  uint64_t max_body = 65536;
  // SPEC §12: connections beyond max_connections are closed at once (counted); a request
  // head (or an idle keep-alive connection's next one) not in within header_timeout closes
  // the connection (counted when a head had begun).
  uint32_t max_connections = 4096;
  std::chrono::milliseconds header_timeout{10000};
  // Both set: every listener speaks HTTPS only (h2o's TLS, HTTP/1.1 and HTTP/2 by ALPN);
  // Listen() fails naming the file when either cannot be loaded.
  std::string tls_cert;
  std::string tls_key;
  bool include_warning = false;  // "healthy" counts warning too
  std::string version;           // for /v1/status
  std::string datacenter = "dc1";  // the Consul API's datacenter and node name
  std::string node;
  // Appends extra Prometheus families (DNS metrics, gauges kept elsewhere) to /metrics.
  std::function<void(std::string&)> render_metrics;
};

// Loads http.tls's certificate and key as Listen() would (for --check-config): "" when
// they are good, else the problem naming the key and the file.
std::string CheckTls(const std::string& cert_file, const std::string& key_file);
// The same for a client's CA file (agent.ca_file): empty when OpenSSL loads a certificate.
std::string CheckCaFile(const std::string& key, const std::string& file);

class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, const registry::Registry& registry, registry::Store& store,
             HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listen address; returns the bound "ADDR:PORT" strings (ports resolved),
  // or fills error and returns an empty vector.
  std::vector<std::string> Listen(std::string& error);
  // For /v1/status "listeners.dns" and /readyz.
  void SetDnsListeners(std::vector<std::string> dns);
  void SetReady(bool ready);
  // Stops accepting, answers every pending blocking query with its current state, and
  // closes connections; on_closed runs once every handle is closed.
  void Shutdown(std::function<void()> on_closed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnsd::http
