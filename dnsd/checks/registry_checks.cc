#include "dnsd/checks/registry_checks.h"

#include <spdlog/spdlog.h>

namespace dnsd::checks {

RegistryChecks::RegistryChecks(uv_loop_t* loop, Engine& engine, registry::Registry& registry,
                               registry::Store& store)
    : engine_(engine), registry_(registry), store_(store) {
  timer_.Init([&](uv_timer_t* h) { return uv_timer_init(loop, h); });
  if (timer_) timer_.get()->data = this;
  registry_.AddObserver(this);
}

RegistryChecks::~RegistryChecks() {
  registry_.RemoveObserver(this);
  for (const auto& [key, specs] : watched_) engine_.Unwatch(key);
}

void RegistryChecks::OnRegistryEvent(const registry::RegistryEvent& event) {
  if (event.service.empty()) return;
  std::string key;
  key.reserve(event.service.size() + 1 + event.id.size());
  key.append(event.service).append("/").append(event.id);
  if (event.kind == registry::RegistryEvent::Kind::kRemoved) {
    // At once, not on the next turn: no run starts after the removal was answered.
    if (watched_.erase(key) != 0) engine_.Unwatch(key);
  }
  const bool was_empty = pending_.empty();
  pending_.insert(std::move(key));
  if (was_empty && timer_) {
    uv_timer_start(
        timer_.get(),
        [](uv_timer_t* h) {
          if (auto* self = static_cast<RegistryChecks*>(h->data)) self->Settle();
        },
        0, 0);
  }
}

void RegistryChecks::Settle() {
  std::unordered_set<std::string> keys;
  keys.swap(pending_);
  for (const std::string& key : keys) Sync(key);
}

void RegistryChecks::Sync(const std::string& key) {
  const size_t slash = key.find('/');
  const std::string service = key.substr(0, slash);
  const std::string id = key.substr(slash + 1);
  const registry::Instance* in = registry_.Find(service, id);
  auto it = watched_.find(key);
  if (!in || in->checks.empty() || !registry_.Owned(service, id)) {
    if (it != watched_.end()) {
      engine_.Unwatch(key);
      watched_.erase(it);
    }
    return;
  }
  std::vector<registry::CheckSpec> specs;
  std::vector<CheckResult> initial;
  for (const registry::CheckState& c : in->checks) {
    specs.push_back(c.spec);
    initial.push_back(CheckResult{c.status, c.output, c.last_run_ms});
  }
  if (it != watched_.end() && it->second == specs) return;  // running already
  watched_[key] = specs;
  engine_.Watch(
      key, std::move(specs),
      [this, service, id](const std::string&, registry::Health, const std::vector<CheckResult>& r,
                          size_t n) {
        registry::CheckResultCommand cmd{service, id, n, r[n].status, r[n].output,
                                         r[n].last_run_ms};
        store_.Submit(std::move(cmd), [service, id](registry::Result<uint64_t> result) {
          if (!result && result.error().code != registry::ErrorCode::kNotFound) {
            spdlog::warn("check result for {}/{} not stored: {}", service, id,
                         result.error().message);
          }
        });
      },
      [this, service, id](const std::string&, size_t n, const CheckResult& r) {
        registry_.NoteCheckRun(service, id, n, r.last_run_ms);
      },
      std::move(initial));
}

}  // namespace dnsd::checks
