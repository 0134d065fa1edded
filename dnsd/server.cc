#include "dnsd/server.h"

#include <ares.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "dnsd/agent/mirror_store.h"
#include "dnsd/agent/registrar.h"
#include "dnsd/cluster/etcd_store.h"
#include "dnsd/dns/answer.h"
#include "dnsd/forward/upstreams.h"
#include "dnsd/http/http_server.h"
#include "dnsd/metrics/metrics.h"
#include "dnsd/metrics/text.h"
#include "dnsd/net/dns_server.h"

#ifndef DNSD_VERSION
#define DNSD_VERSION "dev"
#endif

namespace dnsd {
namespace {

// Shutdown must finish within SPEC's 5 s even when a peer holds a connection open.
constexpr uint64_t kShutdownGraceMs = 4000;
// How often freed heap pages are handed back to the kernel (malloc_trim).
constexpr uint64_t kTrimEveryMs = 10000;

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ",";
    out += p;
  }
  return out;
}

std::vector<forward::Upstream> OwnListeners(const config::Config& config) {
  std::vector<forward::Upstream> own;
  for (const addr::Address& l : config.dns.listen) {
    if (auto u = forward::ParseUpstream(l.host, l.port)) own.push_back(*u);
  }
  return own;
}

forward::UpstreamList Upstreams(const config::Config& config) {
  return forward::ResolveUpstreams(config.dns.upstreams, OwnListeners(config));
}

zones::LoadResult LoadZones(const config::Config& config) {
  return zones::LoadZoneDir(config.zones.dir, config.dns.domain, !config.zones_dir_explicit);
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "dnsd";
  return name;
}

std::runtime_error StartupError(const std::string& what) { return std::runtime_error(what); }

// "<name>-<host name>" (SPEC §9), the host name's first label made a DNS label.
std::string DefaultAgentId(const std::string& name) {
  std::string host = HostName();
  host = host.substr(0, host.find('.'));
  for (char& c : host) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  std::string id = (name + "-" + host).substr(0, 63);
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id;
}

// The host's first non-loopback address (IPv4 before IPv6), for agent.services.
std::optional<registry::IpAddress> FirstHostAddress() {
  uv_interface_address_t* list = nullptr;
  int count = 0;
  if (uv_interface_addresses(&list, &count) != 0) return std::nullopt;
  std::optional<registry::IpAddress> v4, v6;
  for (int i = 0; i < count; ++i) {
    if (list[i].is_internal) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (list[i].address.address4.sin_family == AF_INET) {
      uv_ip4_name(&list[i].address.address4, text, sizeof text);
      if (!v4) v4 = registry::IpAddress::Parse(text);
    } else if (list[i].address.address6.sin6_family == AF_INET6) {
      uv_ip6_name(&list[i].address.address6, text, sizeof text);
      if (!v6 && !std::string_view(text).starts_with("fe80")) v6 = registry::IpAddress::Parse(text);
    }
  }
  uv_free_interface_addresses(list, count);
  return v4 ? v4 : v6;
}

agent::RegistrarOptions RegistrarOptionsFrom(const config::Config& config) {
  agent::RegistrarOptions options;
  options.servers = config.agent.servers;
  options.token = config.agent.token;
  options.ca_file = config.agent.ca_file;
  std::optional<registry::IpAddress> host;
  for (size_t i = 0; i < config.agent.services.size(); ++i) {
    registry::InstanceSpec spec = config.agent.services[i].spec;
    if (spec.id.empty()) spec.id = DefaultAgentId(spec.service);
    if (!spec.address) {
      if (!host) host = FirstHostAddress();
      if (!host) {
        throw StartupError("agent.services[" + std::to_string(i) +
                           "].address: this host has no non-loopback address; give one");
      }
      spec.address = host;
    }
    if (registry::Status s = registry::Validate(spec); !s) {
      throw StartupError("agent.services[" + std::to_string(i) + "]." + s.error().field + ": " +
                         s.error().message);
    }
    for (const registry::InstanceSpec& other : options.services) {
      if (other.service == spec.service && other.id == spec.id) {
        throw StartupError("agent.services[" + std::to_string(i) + "].id: " + spec.service +
                           "/" + spec.id + " is registered twice; give each an id");
      }
    }
    options.services.push_back(std::move(spec));
  }
  return options;
}

dns::AnswerConfig AnswerConfigFrom(const config::Config& config) {
  dns::AnswerConfig a;
  a.domain = config.dns.domain;
  a.ttl = config.dns.ttl;
  a.negative_ttl = config.dns.negative_ttl;
  a.max_udp_size = static_cast<uint16_t>(std::min<uint32_t>(config.dns.max_udp_size, 65535));
  a.udp_answer_limit = config.dns.udp_answer_limit;
  a.include_warning = config.dns.include_warning;
  a.chaos = config.dns.chaos;
  a.forwarding = !config.dns.upstreams.empty();
  for (const std::string& text : config.dns.advertise) {
    if (auto ip = registry::IpAddress::Parse(text)) a.advertise.push_back(*ip);
  }
  if (a.advertise.empty()) {
    // Default: the first listen address that names a host (a wildcard names none).
    for (const addr::Address& l : config.dns.listen) {
      auto ip = registry::IpAddress::Parse(l.host);
      auto u = forward::ParseUpstream(l.host);
      if (ip && u && !u->IsUnspecified()) {
        a.advertise.push_back(*ip);
        break;
      }
    }
  }
  a.version = std::string("dnsd ") + DNSD_VERSION;
  a.server_id = HostName();
  a.datacenter = config.consul.datacenter;
  return a;
}


void RenderStorage(const registry::StoreStatus& s, std::string& out) {
  if (!s.persistent) return;
  metrics::Header(out, "dnsd_storage_syncs_total", "counter",
                  "Group commits written and synced to the data dir.");
  metrics::Sample(out, "dnsd_storage_syncs_total", "", s.syncs_total);
  metrics::Header(out, "dnsd_storage_sync_seconds_total", "counter",
                  "Time spent writing and syncing group commits.");
  out += "dnsd_storage_sync_seconds_total " + std::to_string(s.sync_seconds_total) + "\n";
  metrics::Header(out, "dnsd_storage_bytes", "gauge", "Bytes the data dir's files take on disk.");
  metrics::Sample(out, "dnsd_storage_bytes", "", s.bytes);
}

void RenderCluster(const registry::StoreStatus& s, std::string& out) {
  if (!s.cluster) return;
  out += "# HELP dnsd_cluster_connected 1 while this replica holds a live session with etcd.\n"
         "# TYPE dnsd_cluster_connected gauge\n"
         "dnsd_cluster_connected " + std::string(s.cluster->connected ? "1" : "0") + "\n"
         "# HELP dnsd_cluster_revision The last etcd revision applied to this replica's registry.\n"
         "# TYPE dnsd_cluster_revision gauge\n"
         "dnsd_cluster_revision " + std::to_string(s.cluster->revision) + "\n";
}

// agent.ca_file must load as CA certificates: else every https:// server would fail later.
std::string CaFileProblem(const config::Config& config) {
  if (config.agent.ca_file.empty()) return {};
  return http::CheckCaFile("agent.ca_file", config.agent.ca_file);
}

}  // namespace

std::vector<std::string> CheckResources(const config::Config& config) {
  std::vector<std::string> problems;
  for (const zones::LoadError& e : LoadZones(config).errors) problems.push_back(e.ToString());
  for (const std::string& e : Upstreams(config).errors) problems.push_back(e);
  if (!config.http.tls_cert.empty() && !config.http.tls_key.empty()) {
    std::string tls = http::CheckTls(config.http.tls_cert, config.http.tls_key);
    if (!tls.empty()) problems.push_back(std::move(tls));
  }
  if (std::string ca = CaFileProblem(config); !ca.empty()) problems.push_back(std::move(ca));
  return problems;
}

Server::Server(config::Config config) : config_(std::move(config)) {
  int rc = uv_loop_init(&loop_);
  if (rc != 0) throw StartupError(std::string("uv_loop_init: ") + uv_strerror(rc));
  loop_ready_ = true;
  ares_library_init(ARES_LIB_INIT_ALL);
}

Server::~Server() {
  loader_.reset();  // stops and joins the reading thread
  CloseControlHandles();
  if (dns_) dns_->Stop();
  http_.reset();  // before the registry it observes
  dns_.reset();   // before the publishers its workers read
  store_.reset();
  registry_.reset();
  zones_.reset();
  if (loop_ready_) {
    // Let close callbacks run; bounded, as a handle left open must not hang the exit.
    for (int i = 0; i < 100 && uv_loop_alive(&loop_); ++i) uv_run(&loop_, UV_RUN_NOWAIT);
    if (uv_loop_close(&loop_) != 0) spdlog::warn("control loop closed with handles open");
  }
  ares_library_cleanup();
}

int Server::Run() {
  zones::LoadResult loaded = LoadZones(config_);
  if (!loaded.errors.empty()) {
    std::string what = "zones:";
    for (const zones::LoadError& e : loaded.errors) what += "\n  " + e.ToString();
    throw StartupError(what);
  }
  zones_ = std::make_unique<registry::Published<zones::ZoneSet>>(loaded.zones);
  registry_ = std::make_unique<registry::Registry>(clock_, config_.registry);
  registry_->AddObserver(&event_logger_);
  OpenStore();
  check_engine_ = std::make_unique<checks::Engine>(&loop_);
  registry_checks_ =
      std::make_unique<checks::RegistryChecks>(&loop_, *check_engine_, *registry_, *store_);
  if (!config_.agent.services.empty()) {
    registrar_ =
        std::make_unique<agent::Registrar>(&loop_, *check_engine_, RegistrarOptionsFrom(config_));
  }

  StartDns();
  std::vector<std::string> http_listeners = StartHttp();
  InstallHandles();

  std::string line = "listening dns=" + Join(dns_listeners_) + " http=" + Join(http_listeners);
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
  http_->SetDnsListeners(dns_listeners_);
  http_->SetReady(true);
  spdlog::info("dnsd {} {}", DNSD_VERSION, line);
  StartLoading();
  if (registrar_) registrar_->Start();

  uv_run(&loop_, UV_RUN_DEFAULT);
  spdlog::info("stopped");
  return exit_code_;
}

// The data dir is created, locked and opened before anything listens, so that a second
// dnsd or an unusable directory stops the startup at once (exit 1).
void Server::OpenStore() {
  if (!config_.agent.servers.empty()) {
    if (std::string ca = CaFileProblem(config_); !ca.empty()) throw StartupError(ca);
    auto store = std::make_unique<agent::MirrorStore>(&loop_, *registry_,
                                                      agent::MirrorOptions{config_.agent.servers, config_.agent.ca_file});
    mirror_ = store.get();
    store_ = std::move(store);
    return;
  }
  if (!config_.cluster.etcd.empty()) {
    cluster::EtcdStoreOptions options;
    options.endpoints = config_.cluster.etcd;
    options.prefix = config_.cluster.prefix;
    options.node = config_.cluster.node.empty() ? HostName() : config_.cluster.node;
    options.session_ttl = config_.cluster.session_ttl;
    auto store = std::make_unique<cluster::EtcdStore>(&loop_, *registry_, std::move(options));
    etcd_ = store.get();
    store_ = std::move(store);
    return;
  }
  if (config_.storage.data_dir.empty()) {
    store_ = std::make_unique<registry::MemoryStore>(*registry_);
    return;
  }
  auto store = std::make_unique<store::DataDirStore>(
      *registry_, store::DataDirOptions{config_.storage.data_dir, config_.storage.fsync});
  data_dir_ = store.get();
  store_ = std::move(store);
  registry_->BeginRestore();  // service names SERVFAIL, /readyz 503 until OnLoaded
}

// Reading and checking the records runs on a thread of its own while the loop serves
// /healthz, /readyz (503) and DNS (SERVFAIL for service names) and inserts each batch
// read into the registry (DataDirLoader).
void Server::StartLoading() {
  if (mirror_) return mirror_->Start();  // the first answer from a server loads the copy
  if (etcd_) return etcd_->Start();  // loads on the loop: the range read is asynchronous
  if (!data_dir_) return;
  spdlog::info("data dir {}: loading", config_.storage.data_dir);
  loader_ = std::make_unique<DataDirLoader>(&loop_, *data_dir_);
  int rc = loader_->Start(
      [this](store::Batch batch, std::string& error) {
        return !stopping_ && data_dir_->Restore(std::move(batch), error);
      },
      [this](store::Loaded loaded) { OnLoaded(std::move(loaded)); });
  if (rc != 0) throw StartupError(std::string("libuv: ") + uv_strerror(rc));
}

void Server::OnLoaded(store::Loaded loaded) {
  if (stopping_) return;
  if (!loaded.warning.empty()) spdlog::warn("data dir: {}", loaded.warning);
  std::string error = loaded.error;
  if (error.empty() && data_dir_->FinishRestore(loaded, error) && StartWriter(error)) {
    spdlog::info("data dir {}: {} instance(s) restored, index {}", config_.storage.data_dir,
                 loaded.count, registry_->index());
    ArmTickTimer();
    return;
  }
  // Never serve an empty registry over data that cannot be read.
  spdlog::critical("startup failed: {}", error);
  exit_code_ = 1;
  BeginShutdown("damaged data dir");
}

// The data dir commits on a writer thread that wakes the loop when a batch is on disk.
bool Server::StartWriter(std::string& error) {
  int rc = store_done_.Init([&](uv_async_t* h) {
    return uv_async_init(&loop_, h, [](uv_async_t* a) {
      if (auto* self = static_cast<Server*>(a->data)) self->data_dir_->Completed();
    });
  });
  if (rc != 0) {
    error = std::string("libuv: ") + uv_strerror(rc);
    return false;
  }
  store_done_.get()->data = this;
  data_dir_->SetNotifier([h = store_done_.get()] { uv_async_send(h); });
  return true;
}

void Server::StartDns() {
  forward::UpstreamList upstreams = Upstreams(config_);
  if (!upstreams.errors.empty()) throw StartupError(Join(upstreams.errors));
  net::DnsServerOptions options;
  options.listen = config_.dns.listen;
  options.workers = config_.dns.workers;
  options.answer = AnswerConfigFrom(config_);
  options.upstreams = upstreams.upstreams;
  options.upstream_timeout = config_.dns.upstream_timeout;
  options.tcp_idle_timeout = config_.dns.tcp_idle_timeout;
  options.tcp_max_connections = config_.dns.tcp_max_connections;
  // Fixed for the process: SIGHUP reloads zones only (docs/CONFIG.md, "Logs").
  options.log_queries = config_.log.queries;
  if (options.log_queries) spdlog::info("query log on (log.queries)");
  for (const forward::Upstream& u : upstreams.upstreams) {
    spdlog::info("forwarding to upstream {}", u.ToString());
  }
  dns_ = std::make_unique<net::DnsServer>(std::move(options), registry_->view(), *zones_);
  std::string error;
  dns_listeners_ = dns_->Listen(error);
  if (dns_listeners_.empty()) throw StartupError(error.empty() ? "no DNS listen address" : error);
  dns_->Start();
}

std::vector<std::string> Server::StartHttp() {
  http::HttpServerOptions options;
  options.listen = config_.http.listen;
  for (const config::HttpToken& t : config_.http.tokens) {
    options.tokens.push_back(http::AccessToken{t.token, t.services, t.scoped});
  }
  options.max_body = config_.http.max_body;
  options.max_connections = config_.http.max_connections;
  options.header_timeout = config_.http.header_timeout;
  options.tls_cert = config_.http.tls_cert;
  options.tls_key = config_.http.tls_key;
  options.include_warning = config_.dns.include_warning;
  options.version = DNSD_VERSION;
  options.datacenter = config_.consul.datacenter;
  options.node = HostName();
  options.render_metrics = [this](std::string& out) {
    if (!dns_) return;
    std::vector<const metrics::DnsMetrics*> workers = dns_->metrics();
    metrics::RenderDns(workers, out);
    metrics::Header(out, "dnsd_dns_tcp_connections", "gauge",
                    "Open DNS TCP connections over all workers, at most dns.tcp_max_connections.");
    metrics::Sample(out, "dnsd_dns_tcp_connections", "", dns_->tcp_connections());
    registry::StoreStatus status = store_->Status();
    RenderStorage(status, out);
    RenderCluster(status, out);
    if (mirror_) mirror_->RenderMetrics(out);
    if (check_engine_) check_engine_->RenderMetrics(out);
    if (registrar_) registrar_->RenderMetrics(out);
  };
  http_ = std::make_unique<http::HttpServer>(&loop_, *registry_, *store_, std::move(options));
  std::string error;
  std::vector<std::string> bound = http_->Listen(error);
  if (bound.empty()) throw StartupError(error.empty() ? "no HTTP listen address" : error);
  return bound;
}

void Server::InstallHandles() {
  auto init = [this](auto& handle, auto fn) {
    int rc = handle.Init([&](auto* h) { return fn(&loop_, h); });
    if (rc != 0) throw StartupError(std::string("libuv: ") + uv_strerror(rc));
    handle.get()->data = this;
  };
  init(tick_timer_, uv_timer_init);
  init(trim_timer_, uv_timer_init);
  init(check_, uv_check_init);
#if defined(__GLIBC__)
  // Churn (instances of many sizes registered and removed, answers rebuilt) leaves freed
  // pages inside glibc's heaps that it keeps, so RSS creeps up while the live heap stays
  // the same (bench/soak, docs/BENCHMARKS.md). malloc_trim gives whole free pages back.
  uv_timer_start(trim_timer_.get(), [](uv_timer_t*) { malloc_trim(0); }, kTrimEveryMs,
                 kTrimEveryMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(trim_timer_.get()));  // never keeps the loop alive
#endif
  init(sigterm_, uv_signal_init);
  init(sigint_, uv_signal_init);
  init(sighup_, uv_signal_init);

  // HTTP handlers publish their own changes; the check phase catches everything else
  // and re-arms the lease timer after every loop iteration.
  uv_check_start(check_.get(), [](uv_check_t* h) {
    if (auto* self = static_cast<Server*>(h->data)) self->OnLoopIteration();
  });
  auto on_stop = [](uv_signal_t* h, int signum) {
    if (auto* self = static_cast<Server*>(h->data)) {
      self->BeginShutdown(signum == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  };
  uv_signal_start(sigterm_.get(), on_stop, SIGTERM);
  uv_signal_start(sigint_.get(), on_stop, SIGINT);
  uv_signal_start(
      sighup_.get(),
      [](uv_signal_t* h, int) {
        if (auto* self = static_cast<Server*>(h->data)) self->ReloadZones();
      },
      SIGHUP);
  ArmTickTimer();
}

void Server::OnLoopIteration() {
  if (!registry_) return;
  registry_->Publish();
  // Also while stopping: writes that arrive on connections being drained are answered.
  if (data_dir_) data_dir_->Flush();
  if (etcd_) etcd_->Flush();
  if (stopping_) return;
  ArmTickTimer();
}

void Server::ArmTickTimer() {
  if (!tick_timer_) return;
  std::optional<registry::TimePoint> next = registry_->NextDeadline();
  if (next == armed_deadline_) return;
  armed_deadline_ = next;
  if (!next) {
    uv_timer_stop(tick_timer_.get());
    return;
  }
  // Rounded up: libuv's timers have millisecond resolution, and firing before the
  // deadline would only cost a second wakeup.
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - clock_.Now());
  uint64_t ms = wait.count() > 0 ? static_cast<uint64_t>(wait.count()) : 0;
  // A deadline that a Tick() left in place must not make the loop spin.
  if (ms == 0 && next == last_fired_) ms = 1;
  uv_update_time(&loop_);  // the timer counts from now, not from the iteration's start
  uv_timer_start(
      tick_timer_.get(),
      [](uv_timer_t* h) {
        auto* self = static_cast<Server*>(h->data);
        if (self == nullptr) return;
        self->last_fired_ = self->armed_deadline_;
        self->armed_deadline_.reset();
        self->registry_->Tick();
        // Publish now: the check phase of this iteration may only come after a long poll.
        self->registry_->Publish();
        if (self->data_dir_) self->data_dir_->Flush();
        if (self->etcd_) self->etcd_->Flush();
        self->ArmTickTimer();
      },
      ms, 0);
}

void Server::ReloadZones() {
  spdlog::info("SIGHUP: reloading zones from {}", config_.zones.dir);
  zones::LoadResult loaded = LoadZones(config_);
  if (!loaded.errors.empty()) {
    for (const zones::LoadError& e : loaded.errors) spdlog::error("zone reload: {}", e.ToString());
    spdlog::error("zone reload failed; still serving the previous zones");
    return;
  }
  size_t count = loaded.zones->zones().size();
  zones_->Publish(std::move(loaded.zones));
  spdlog::info("zones reloaded: {} zone(s)", count);
}

void Server::BeginShutdown(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("{}: shutting down", why);
  if (registrar_) {
    // Deregistered first, while DNS and HTTP still serve; bounded by the registrar.
    return registrar_->Stop([this] { FinishShutdown(); });
  }
  FinishShutdown();
}

void Server::FinishShutdown() {
  if (data_dir_) data_dir_->Flush();  // answers the writes still waiting for their sync
  if (etcd_) etcd_->Stop();  // nothing is deleted: the lease runs out (SPEC §8)
  if (mirror_) mirror_->Stop();
  if (http_) http_->SetReady(false);
  if (dns_) dns_->Stop();  // joins the workers: no new DNS answers from here on
  int rc = shutdown_guard_.Init([&](uv_timer_t* h) { return uv_timer_init(&loop_, h); });
  if (rc == 0) {
    shutdown_guard_.get()->data = this;
    uv_timer_start(
        shutdown_guard_.get(),
        [](uv_timer_t* h) {
          spdlog::warn("HTTP shutdown did not finish in time; exiting anyway");
          uv_stop(h->loop);
        },
        kShutdownGraceMs, 0);
    uv_unref(shutdown_guard_.handle());  // must not keep the loop alive by itself
  }
  if (http_) {
    http_->Shutdown([this] { CloseControlHandles(); });
  } else {
    CloseControlHandles();
  }
}

void Server::CloseControlHandles() {
  registrar_.reset();  // its checks run on check_engine_
  registry_checks_.reset();  // no check runs or results once the shutdown began
  check_engine_.reset();
  if (data_dir_) data_dir_->Drain();  // every write taken is on disk and answered
  store_done_.Reset();
  tick_timer_.Reset();
  trim_timer_.Reset();
  check_.Reset();
  sigterm_.Reset();
  sigint_.Reset();
  sighup_.Reset();
  shutdown_guard_.Reset();
}

}  // namespace dnsd
