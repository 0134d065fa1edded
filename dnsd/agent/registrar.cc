#include "dnsd/agent/registrar.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dnsd/cluster/etcd_client.h"
#include "dnsd/metrics/text.h"

namespace dnsd::agent {

using registry::Health;
using std::chrono::milliseconds;

struct Registrar::Local {
  Registrar* owner = nullptr;
  registry::InstanceSpec spec;
  std::string key;   // the engine's key: "agent/<service>/<id>"
  std::string path;  // "/v1/services/<service>/instances/<id>"
  milliseconds period{0};  // heartbeat: a third of the lease
  Health health = Health::kPassing;
  std::string note;
  bool registered = false;  // the server answered 200 to the registration
  bool in_flight = false;
  bool again = false;       // something to send once the call in flight returns
  bool failing = false;     // the last call failed: logged once until one succeeds
  bool deregistering = false;
  size_t delete_attempts = 0;  // one per server at most
  uv::UvHandle<uv_timer_t> timer;
};

registry::Duration AgentLease(const registry::InstanceSpec& spec) {
  if (spec.checks.empty()) return std::chrono::seconds(30);
  registry::Duration shortest = spec.checks[0].interval;
  for (const registry::CheckSpec& c : spec.checks) shortest = std::min(shortest, c.interval);
  return 3 * shortest;
}

std::string RegistrationBody(const registry::InstanceSpec& spec) {
  nlohmann::json body = {
      {"address", spec.address ? spec.address->ToString() : ""},
      {"port", spec.port},
      {"tags", spec.tags},
      {"meta", spec.meta},
      {"ttl", std::to_string(AgentLease(spec).count()) + "ms"},
  };
  return body.dump();
}

Registrar::Registrar(uv_loop_t* loop, checks::Engine& engine, RegistrarOptions options)
    : loop_(loop), engine_(engine), options_(std::move(options)) {
  client_ = std::make_unique<cluster::EtcdClient>(loop_, options_.servers, options_.ca_file);
  for (registry::InstanceSpec& spec : options_.services) {
    auto local = std::make_unique<Local>();
    local->owner = this;
    local->spec = spec;
    local->key = "agent/" + spec.service + "/" + spec.id;
    local->path = "/v1/services/" + spec.service + "/instances/" + spec.id;
    local->period = std::max(milliseconds(30), std::chrono::duration_cast<milliseconds>(
                                                   AgentLease(spec) / 3));
    local->timer.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
    local->timer.get()->data = local.get();
    locals_.push_back(std::move(local));
  }
}

Registrar::~Registrar() {
  for (auto& local : locals_) engine_.Unwatch(local->key);
}

void Registrar::Start() {
  for (auto& owned : locals_) {
    Local* local = owned.get();
    engine_.Watch(local->key, local->spec.checks,
                  [this, local](const std::string&, Health aggregate,
                                const std::vector<checks::CheckResult>& results, size_t) {
                    std::string note;
                    for (const checks::CheckResult& r : results) {
                      if (r.status == aggregate && !r.output.empty()) {
                        note = r.output;
                        break;
                      }
                    }
                    bool changed = aggregate != local->health || note != local->note;
                    local->health = aggregate;
                    local->note = std::move(note);
                    if (changed && !stopping_) Send(*local);
                  });
    spdlog::info("agent: registering {}/{} ({}:{}, lease {} ms) on {}", local->spec.service,
                 local->spec.id, local->spec.address ? local->spec.address->ToString() : "",
                 local->spec.port, AgentLease(local->spec).count(), client_->endpoint());
    Send(*local);
  }
}

std::vector<std::string> Registrar::Headers() const {
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (!options_.token.empty()) headers.push_back("Authorization: Bearer " + options_.token);
  return headers;
}

void Registrar::Send(Local& local) {
  if (stopping_) return;
  if (local.in_flight) {
    local.again = true;
    return;
  }
  uv_timer_stop(local.timer.get());
  Call call;
  std::string body;
  if (!local.registered) {
    if (local.health == Health::kCritical) {
      // Nothing to announce: it would only be kept out of DNS. Registered once it passes.
      return Schedule(local, local.period);
    }
    call = Call::kRegister;
    body = RegistrationBody(local.spec);
  } else if (local.health == Health::kCritical) {
    call = Call::kStatus;  // a heartbeat carries passing or warning only (SPEC §3)
    body = nlohmann::json{{"status", "critical"}, {"note", local.note}}.dump();
  } else {
    call = Call::kHeartbeat;
    body = nlohmann::json{{"status", registry::HealthName(local.health)}, {"note", local.note}}
               .dump();
  }
  std::string path = local.path;
  if (call == Call::kHeartbeat) path += "/heartbeat";
  if (call == Call::kStatus) path += "/status";
  local.in_flight = true;
  Local* target = &local;
  client_->Request("PUT", path, std::move(body), Headers(), options_.request_timeout,
                   [this, target, call, server = client_->endpoint()](cluster::EtcdReply reply) {
                     OnReply(*target, call, server, reply);
                   });
}

void Registrar::OnReply(Local& local, Call call, const std::string& server,
                        const cluster::EtcdReply& reply) {
  local.in_flight = false;
  if (stopping_) {
    if (local.deregistering) Deregister(local);  // waited for this call to land first
    return;
  }
  const std::string what = local.spec.service + "/" + local.spec.id;
  if (reply.ok()) {
    if (call == Call::kRegister) {
      local.registered = true;
      ++registrations_;
      spdlog::info("agent: {} registered on {}", what, server);
      // Registering makes it passing (SPEC §3): a warning goes after it at once.
      if (local.health != Health::kPassing) local.again = true;
    } else {
      ++heartbeats_;
    }
    if (local.failing) spdlog::info("agent: {}: {} answers again", what, server);
    local.failing = false;
  } else if (reply.status == 404 && call != Call::kRegister) {
    spdlog::info("agent: {} is unknown to {}: registering it again", what, server);
    local.registered = false;
    local.again = true;
  } else {
    ++errors_;
    // No HTTP answer, or a server in trouble: the next server. Refused (400, 401, 403,
    // 409): the same one, once a period, since another would answer the same.
    const bool unreachable = reply.status == 0 || reply.status >= 500;
    if (!local.failing) {
      spdlog::warn("agent: {} on {}: {}{}", what, server, reply.error.substr(0, 300),
                   unreachable ? "; trying the next server" : "");
    }
    local.failing = true;
    // Calls of other services may have moved on already: only the server that failed is left.
    if (unreachable && client_->endpoint() == server) client_->Failover();
    local.again = false;
    return Schedule(local, unreachable ? std::min(local.period, milliseconds(1000)) : local.period);
  }
  if (local.again) {
    local.again = false;
    return Send(local);
  }
  Schedule(local, local.period);
}

void Registrar::Schedule(Local& local, milliseconds delay) {
  uv_timer_start(
      local.timer.get(),
      [](uv_timer_t* t) {
        auto* l = static_cast<Local*>(t->data);
        l->owner->Send(*l);
      },
      static_cast<uint64_t>(delay.count()), 0);
}

void Registrar::Stop(std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  stopped_ = std::move(done);
  deadline_.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
  deadline_.get()->data = this;
  uv_timer_start(
      deadline_.get(),
      [](uv_timer_t* t) {
        auto* self = static_cast<Registrar*>(t->data);
        spdlog::warn("agent: {} deregistration(s) unanswered; exiting anyway",
                     self->deregistering_);
        self->deregistering_ = 0;
        self->client_.reset();  // no callback runs for the calls left
        if (auto done = std::move(self->stopped_)) done();
      },
      static_cast<uint64_t>(options_.stop_deadline.count()), 0);
  for (auto& local : locals_) {
    engine_.Unwatch(local->key);
    uv_timer_stop(local->timer.get());
    local->deregistering = true;
    ++deregistering_;
  }
  for (auto& local : locals_) {
    if (!local->in_flight) Deregister(*local);  // else once its call returns (OnReply)
  }
  if (deregistering_ == 0) {
    deadline_.Reset();
    if (auto cb = std::move(stopped_)) cb();
  }
}

void Registrar::Deregister(Local& local) {
  Local* target = &local;
  local.in_flight = true;
  client_->Request(
      "DELETE", local.path, "", Headers(), options_.request_timeout,
      [this, target, server = client_->endpoint()](cluster::EtcdReply reply) {
        target->in_flight = false;
        const std::string what = target->spec.service + "/" + target->spec.id;
        if (reply.ok() || reply.status == 404) {
          spdlog::info("agent: {} deregistered from {}", what, server);
        } else if (reply.status == 0 && ++target->delete_attempts < options_.servers.size()) {
          spdlog::warn("agent: deregistering {} on {}: {}; trying the next server", what,
                       server, reply.error);
          if (client_->endpoint() == server) client_->Failover();
          return Deregister(*target);
        } else {
          spdlog::warn("agent: deregistering {} on {}: {}", what, server, reply.error);
        }
        Deregistered(*target);
      });
}

void Registrar::Deregistered(Local& local) {
  local.deregistering = false;
  if (deregistering_ == 0 || --deregistering_ > 0) return;
  deadline_.Reset();
  if (auto done = std::move(stopped_)) done();
}

void Registrar::RenderMetrics(std::string& out) const {
  uint64_t registered = 0;
  for (const auto& local : locals_) registered += local->registered ? 1 : 0;
  metrics::Header(out, "dnsd_agent_services", "gauge",
                  "The agent's own services (agent.services), by whether a server holds their "
                  "registration.");
  metrics::Sample(out, "dnsd_agent_services", "state=\"registered\"", registered);
  metrics::Sample(out, "dnsd_agent_services", "state=\"unregistered\"",
                  locals_.size() - registered);
  metrics::Header(out, "dnsd_agent_registrations_total", "counter",
                  "Registrations of the agent's services accepted by a server.");
  metrics::Sample(out, "dnsd_agent_registrations_total", "", registrations_);
  metrics::Header(out, "dnsd_agent_heartbeats_total", "counter",
                  "Heartbeats and status reports of the agent's services accepted by a server.");
  metrics::Sample(out, "dnsd_agent_heartbeats_total", "", heartbeats_);
  metrics::Header(out, "dnsd_agent_registration_errors_total", "counter",
                  "Registrations and heartbeats a server refused or did not answer.");
  metrics::Sample(out, "dnsd_agent_registration_errors_total", "", errors_);
}

}  // namespace dnsd::agent
