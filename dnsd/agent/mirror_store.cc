#include "dnsd/agent/mirror_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "dnsd/cluster/etcd_client.h"
#include "dnsd/metrics/text.h"
#include "registry/duration.h"

namespace dnsd::agent {
namespace {

using Json = nlohmann::json;
using registry::Invalid;

registry::Duration FromSeconds(double s) {
  return registry::Duration(static_cast<int64_t>(std::llround(s * 1000)));
}

// One instance of a /v1/registry answer; the error names its place in the body.
registry::Result<registry::Instance> ReadInstance(const Json& j, const std::string& where) {
  auto bad = [&](const char* field) {
    return Invalid(where, where + "." + field + " is missing or of the wrong type");
  };
  registry::Instance in;
  if (!j.is_object()) return Invalid(where, where + " must be an object");
  auto str = [&](const char* k, std::string& out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  std::string address, proto, status;
  if (!str("service", in.service) || !registry::IsDnsLabel(in.service)) return bad("service");
  if (!str("id", in.id) || !registry::IsDnsLabel(in.id)) return bad("id");
  if (!str("address", address)) return bad("address");
  std::optional<registry::IpAddress> ip = registry::IpAddress::Parse(address);
  if (!ip) return bad("address");
  in.address = *ip;
  auto port = j.find("port");
  if (port == j.end() || !port->is_number_unsigned() || port->get<uint64_t>() > 65535) {
    return bad("port");
  }
  in.port = static_cast<uint16_t>(port->get<uint64_t>());
  if (!str("proto", proto) || (proto != "tcp" && proto != "udp")) return bad("proto");
  in.proto = proto == "udp" ? registry::Proto::kUdp : registry::Proto::kTcp;
  if (!str("status", status) || !registry::ParseHealth(status)) return bad("status");
  in.health = *registry::ParseHealth(status);
  str("note", in.note);
  if (auto t = j.find("tags"); t != j.end()) {
    if (!t->is_array()) return bad("tags");
    for (const Json& tag : *t) {
      if (!tag.is_string()) return bad("tags");
      in.tags.push_back(tag.get<std::string>());
    }
  }
  if (auto m = j.find("meta"); m != j.end()) {
    if (!m->is_object()) return bad("meta");
    for (const auto& [k, v] : m->items()) {
      if (!v.is_string()) return bad("meta");
      in.meta.emplace(k, v.get<std::string>());
    }
  }
  auto u16 = [&](const char* k, uint16_t& out) {
    auto it = j.find(k);
    if (it == j.end()) return true;
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 65535) return false;
    out = static_cast<uint16_t>(it->get<uint64_t>());
    return true;
  };
  if (!u16("weight", in.weight)) return bad("weight");
  if (!u16("priority", in.priority)) return bad("priority");
  auto seconds = [&](const char* k, registry::Duration& out) {
    auto it = j.find(k);
    if (it == j.end()) return true;
    if (!it->is_number() || it->get<double>() < 0) return false;
    out = FromSeconds(it->get<double>());
    return true;
  };
  if (!seconds("ttl", in.ttl)) return bad("ttl");
  if (!seconds("deregister_after", in.deregister_after)) return bad("deregister_after");
  if (auto d = j.find("dns_ttl"); d != j.end() && !d->is_null()) {
    if (!d->is_number_unsigned()) return bad("dns_ttl");
    in.dns_ttl = static_cast<uint32_t>(d->get<uint64_t>());
  }
  return in;
}

struct ServiceChange {
  std::string name;
  uint64_t index = 0;
  std::vector<registry::Instance> instances;
};

}  // namespace

registry::Result<uint64_t> ApplyRegistryAnswer(std::string_view body, registry::Registry& registry,
                                               bool first) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid("", "the answer is not a JSON object");
  auto index = j.find("index");
  auto full = j.find("full");
  auto services = j.find("services");
  if (index == j.end() || !index->is_number_unsigned()) return Invalid("index", "no index");
  if (full == j.end() || !full->is_boolean()) return Invalid("full", "no full");
  if (services == j.end() || !services->is_array()) return Invalid("services", "no services");
  // Read all of it before applying any of it.
  std::vector<ServiceChange> changes;
  for (size_t i = 0; i < services->size(); ++i) {
    const Json& s = (*services)[i];
    std::string where = "services[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || !s.contains("index") ||
        !s["index"].is_number_unsigned() || !s.contains("instances") ||
        !s["instances"].is_array()) {
      return Invalid(where, where + " needs name, index and instances");
    }
    ServiceChange c{s["name"].get<std::string>(), s["index"].get<uint64_t>(), {}};
    for (size_t k = 0; k < s["instances"].size(); ++k) {
      auto in = ReadInstance(s["instances"][k], where + ".instances[" + std::to_string(k) + "]");
      if (!in) return in.error();
      if (in->service != c.name) return Invalid(where, where + ": an instance of another service");
      c.instances.push_back(std::move(*in));
    }
    changes.push_back(std::move(c));
  }
  const uint64_t at = index->get<uint64_t>();
  std::set<std::string, std::less<>> listed;
  auto remove_all_but = [&](std::string_view service, const std::set<std::string>& keep,
                            uint64_t removal_index) {
    std::vector<std::string> gone;
    for (const registry::Instance* in : registry.Instances(service)) {
      if (!keep.count(in->id)) gone.push_back(in->id);
    }
    for (const std::string& id : gone) registry.RemoveAt(service, id, removal_index);
  };
  for (ServiceChange& c : changes) {
    listed.insert(c.name);
    std::set<std::string> ids;
    for (const registry::Instance& in : c.instances) ids.insert(in.id);
    remove_all_but(c.name, ids, c.index);
    for (registry::Instance& in : c.instances) registry.ApplyAt(std::move(in), c.index, false);
  }
  if (full->get<bool>()) {
    std::vector<std::string> unlisted;
    for (const auto& summary : registry.Services()) {
      if (!listed.count(summary.name)) unlisted.push_back(summary.name);
    }
    for (const std::string& name : unlisted) remove_all_but(name, {}, at);
  }
  if (first) {
    registry.FinishRestoreAt(at);
  } else {
    registry.Publish();
  }
  return at;
}

MirrorStore::MirrorStore(uv_loop_t* loop, registry::Registry& registry, MirrorOptions options)
    : loop_(loop), registry_(registry), options_(std::move(options)) {
  client_ = std::make_unique<cluster::EtcdClient>(loop_, options_.servers, options_.ca_file);
  retry_timer_.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
  retry_timer_.get()->data = this;
  registry_.BeginRestore();  // service names SERVFAIL, /readyz 503 until the first answer
}

MirrorStore::~MirrorStore() = default;

void MirrorStore::Submit(registry::Command, Done done) {
  done(registry::Error{registry::ErrorCode::kConflict,
                       "this dnsd is an agent (agent.servers): register on a server, or in "
                       "agent.services",
                       ""});
}

registry::StoreStatus MirrorStore::Status() const {
  registry::StoreStatus s;
  registry::AgentStatus a;
  a.servers = options_.servers;
  a.server = options_.servers[server_];
  a.connected = connected_;
  a.index = index_;
  a.error = last_error_;
  if (last_contact_ != registry::TimePoint{}) {
    a.last_contact_seconds =
        registry::ToSeconds(std::chrono::duration_cast<registry::Duration>(
            registry::SteadyClock().Now() - last_contact_));
  }
  s.agent = std::move(a);
  return s;
}

void MirrorStore::Start() { Watch(); }

void MirrorStore::Stop() {
  stopped_ = true;
  client_.reset();  // cancels the watch without its callback
  retry_timer_.Reset();
}

void MirrorStore::Watch() {
  if (stopped_) return;
  std::string path = "/v1/registry";
  if (loaded_) {
    path += "?index=" + std::to_string(index_) + "&wait=" +
            std::to_string(options_.wait.count()) + "ms";
  }
  auto timeout = loaded_ ? options_.wait + std::chrono::seconds(5) : std::chrono::seconds(5);
  client_->Request("GET", path, "", {}, timeout, [this](cluster::EtcdReply reply) {
    OnAnswer(reply.status, std::move(reply.body), std::move(reply.error));
  });
}

void MirrorStore::OnAnswer(long status, std::string body, std::string error) {
  if (stopped_) return;
  if (error.empty() && status != 200) {
    error = "HTTP " + std::to_string(status) + ": " + body.substr(0, 200);
  }
  if (error.empty()) {
    registry::Result<uint64_t> applied = ApplyRegistryAnswer(body, registry_, !loaded_);
    if (!applied) {
      error = "bad answer: " + applied.error().message;
    } else {
      if (!connected_) {
        spdlog::info("agent: copying the registry from {} (index {})", client_->endpoint(),
                     *applied);
      }
      // A server whose index went back (restarted without its data) is followed: its
      // answer was a full one, since the agent's index was unknown to it.
      index_ = *applied;
      loaded_ = true;
      connected_ = true;
      last_error_.clear();
      last_contact_ = registry::SteadyClock().Now();
      backoff_ = std::chrono::milliseconds(0);
      ++updates_total_;
      return Watch();
    }
  }
  ++errors_total_;
  if (connected_ || last_error_ != error) {
    spdlog::warn("agent: server {}: {}; answering from the copy (index {})", client_->endpoint(),
                 error, index_);
  }
  connected_ = false;
  last_error_ = error;
  Retry();
}

void MirrorStore::Retry() {
  client_->Failover();
  server_ = (server_ + 1) % options_.servers.size();
  backoff_ = std::clamp(backoff_ * 2, options_.retry_min, options_.retry_max);
  uv_timer_start(
      retry_timer_.get(),
      [](uv_timer_t* t) { static_cast<MirrorStore*>(t->data)->Watch(); },
      static_cast<uint64_t>(backoff_.count()), 0);
}

void MirrorStore::RenderMetrics(std::string& out) const {
  metrics::Header(out, "dnsd_agent_connected", "gauge",
                  "Whether the agent's copy of the registry is being kept current by a server.");
  metrics::Sample(out, "dnsd_agent_connected", "", connected_ ? 1 : 0);
  metrics::Header(out, "dnsd_agent_index", "gauge",
                  "The servers' registry index the agent's copy is at.");
  metrics::Sample(out, "dnsd_agent_index", "", index_);
  metrics::Header(out, "dnsd_agent_updates_total", "counter",
                  "Registry answers applied to the agent's copy.");
  metrics::Sample(out, "dnsd_agent_updates_total", "", updates_total_);
  metrics::Header(out, "dnsd_agent_errors_total", "counter",
                  "Failed watches of a server (unreachable, bad answer).");
  metrics::Sample(out, "dnsd_agent_errors_total", "", errors_total_);
}

}  // namespace dnsd::agent
