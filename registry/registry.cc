// Registry mutations, bookkeeping and control-thread reads. Timers and
// self-preservation live in registry_timers.cc, publishing in registry_publish.cc.
#include "registry/registry.h"

#include <algorithm>

#include "registry/registry_impl.h"

namespace registry {

std::string_view RemovalReasonName(RemovalReason r) {
  return r == RemovalReason::kExpired ? "expired" : "deregistered";
}

namespace {

Error NotFound(std::string_view service, std::string_view id) {
  return Error{ErrorCode::kNotFound,
               "unknown instance " + std::string(id) + " of service " + std::string(service), ""};
}

Status CheckNote(const std::optional<std::string>& note) {
  if (note && note->size() > kMaxNoteLength) {
    return Invalid("note", "note longer than " + std::to_string(kMaxNoteLength) + " bytes");
  }
  return Ok{};
}

// Copies the registration data of spec into inst (not health, note or lease state).
void FillData(Instance& inst, InstanceSpec&& spec, Duration default_deregister_after) {
  inst.service = std::move(spec.service);
  inst.id = std::move(spec.id);
  inst.address = *spec.address;
  inst.port = static_cast<uint16_t>(spec.port);
  inst.proto = spec.proto;
  inst.tags = std::move(spec.tags);
  inst.meta = std::move(spec.meta);
  inst.weight = static_cast<uint16_t>(spec.weight);
  inst.priority = static_cast<uint16_t>(spec.priority);
  inst.ttl = spec.ttl;
  inst.deregister_after = spec.deregister_after.value_or(default_deregister_after);
  inst.dns_ttl = spec.dns_ttl;
  inst.checks = CarryChecks(std::move(spec.checks), std::move(inst.checks));
}

}  // namespace

Health WithChecks(Health own, const std::vector<CheckState>& checks) {
  if (own == Health::kMaintenance) return own;
  for (const CheckState& c : checks) own = std::max(own, c.status);
  return own;
}

bool SameData(const Instance& a, const Instance& b) {
  return a.address == b.address && a.port == b.port && a.proto == b.proto && a.tags == b.tags &&
         a.meta == b.meta && a.weight == b.weight && a.priority == b.priority && a.ttl == b.ttl &&
         a.deregister_after == b.deregister_after && a.dns_ttl == b.dns_ttl &&
         SameCheckSpecs(a, b);
}

std::vector<CheckState> CarryChecks(std::vector<CheckSpec> specs, std::vector<CheckState> previous) {
  std::vector<CheckState> checks;
  checks.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    if (i < previous.size() && previous[i].spec == specs[i]) {
      checks.push_back(std::move(previous[i]));
    } else {
      checks.push_back(CheckState{std::move(specs[i]), Health::kPassing, {}, 0, std::nullopt});
    }
  }
  return checks;
}

bool SameCheckSpecs(const Instance& a, const Instance& b) {
  return std::equal(a.checks.begin(), a.checks.end(), b.checks.begin(), b.checks.end(),
                    [](const CheckState& x, const CheckState& y) { return x.spec == y.spec; });
}

Health OwnHealth(const Instance& in) {
  if (in.health == Health::kPassing || in.health == Health::kMaintenance) return in.health;
  Health worst = Health::kPassing;
  for (const CheckState& c : in.checks) worst = std::max(worst, c.status);
  return worst >= in.health ? Health::kPassing : in.health;
}

// ---- Impl: bookkeeping ----

Registry::Impl::Impl(Registry& owner) : reg(owner) {}

InstanceRec* Registry::Impl::Lookup(std::string_view lower_service, std::string_view lower_id) {
  auto sit = services.find(lower_service);
  if (sit == services.end()) return nullptr;
  auto iit = sit->second.instances.find(lower_id);
  return iit == sit->second.instances.end() ? nullptr : &iit->second;
}

Status Registry::Impl::CheckLimits(const ServiceRec* svc) const {
  if (instances >= reg.config_.max_instances) {
    return Error{ErrorCode::kLimit,
                 "registry is full: max_instances (" + std::to_string(reg.config_.max_instances) +
                     ") reached",
                 ""};
  }
  if (svc && svc->instances.size() >= reg.config_.max_instances_per_service) {
    return Error{ErrorCode::kLimit,
                 "service " + svc->name + " is full: max_instances_per_service (" +
                     std::to_string(reg.config_.max_instances_per_service) + ") reached",
                 "service"};
  }
  return Ok{};
}

uint32_t Registry::Impl::AllocSlot(InstanceRec* rec) {
  uint32_t slot;
  if (!free_slots.empty()) {
    slot = free_slots.back();
    free_slots.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots.size());
    slots.emplace_back();
  }
  slots[slot].rec = rec;
  return slot;
}

void Registry::Impl::FreeSlot(uint32_t slot) {
  slots[slot].rec = nullptr;
  ++slots[slot].gen;  // heap entries naming the old occupant become stale
  free_slots.push_back(slot);
}

InstanceRec* Registry::Impl::Resolve(const TimerEntry& e) const {
  const Slot& s = slots[e.slot];
  return s.gen == e.gen ? s.rec : nullptr;
}

void Registry::Impl::Count(const InstanceRec& rec, bool add) {
  const Health h = rec.inst.health;
  auto adjust = [add](uint64_t& n) { add ? ++n : --n; };
  adjust(by_health[static_cast<size_t>(h)]);
  if (h == Health::kPassing) adjust(rec.service->passing);
  if (h == Health::kWarning) adjust(rec.service->warning);
  if (rec.inst.ttl > Duration::zero() && h != Health::kMaintenance && !rec.remote) {
    adjust(leased_active);
  }
}

uint64_t Registry::Impl::Touch(InstanceRec& rec) {
  const uint64_t index = ++reg.index_;
  rec.inst.index = index;
  rec.service->index = index;
  if (dirty.find(rec.service->name) == dirty.end()) dirty.insert(rec.service->name);
  return index;
}

void Registry::Impl::SetHealth(InstanceRec& rec, Health h, TimePoint now) {
  rec.inst.own_health = h;
  h = WithChecks(h, rec.inst.checks);
  rec.inst.health = h;
  if (h != Health::kCritical) {
    rec.removal_deadline.reset();
  } else if (!rec.removal_deadline) {
    rec.removal_deadline = now + rec.inst.deregister_after;
    ArmRemoval(rec);
  }
}

void Registry::Impl::Emit(RegistryEvent::Kind kind, std::string_view service, std::string_view id,
                          Health health, RemovalReason reason) {
  if (observers.empty()) return;
  RegistryEvent event{kind, service, id, health, reason, reg.index_};
  for (RegistryObserver* o : observers) o->OnRegistryEvent(event);
}

void Registry::Impl::Remove(InstanceRec& rec, RemovalReason reason, std::optional<uint64_t> at) {
  Count(rec, false);
  if (rec.held) Unhold(rec);
  --instances;
  (reason == RemovalReason::kExpired ? removed_expired : removed_deregistered)++;
  FreeSlot(rec.slot);
  ServiceRec& svc = *rec.service;
  const std::string service = svc.name;
  const std::string id = rec.inst.id;
  const Health health = rec.inst.health;
  svc.instances.erase(id);  // rec is gone from here on
  const uint64_t index = at ? *at : reg.index_ + 1;
  reg.index_ = std::max(reg.index_, index);
  dirty.insert(service);
  if (svc.instances.empty()) {
    services.erase(service);
  } else {
    svc.index = std::max(svc.index, index);
  }
  Emit(RegistryEvent::Kind::kRemoved, service, id, health, reason);
}

// ---- Impl: mutations ----

Result<uint64_t> Registry::Impl::Register(InstanceSpec spec) {
  const TimePoint now = Now();
  auto sit = services.find(spec.service);
  ServiceRec* svc = sit == services.end() ? nullptr : &sit->second;
  if (svc) {
    auto iit = svc->instances.find(spec.id);
    if (iit != svc->instances.end()) return Update(iit->second, std::move(spec), now);
  }
  if (Status s = CheckLimits(svc); !s) return s.error();
  if (!svc) {
    svc = &services[spec.service];
    svc->name = spec.service;
  }
  InstanceRec& rec = svc->instances[spec.id];
  rec.service = svc;
  rec.slot = AllocSlot(&rec);
  FillData(rec.inst, std::move(spec), reg.config_.deregister_after);
  SetHealth(rec, Health::kPassing, now);
  if (rec.inst.ttl > Duration::zero()) rec.inst.lease_deadline = now + rec.inst.ttl;
  ++instances;
  Count(rec, true);
  ArmLease(rec);
  StartTtlChecks(rec, now, /*renew=*/true);
  Touch(rec);
  Emit(RegistryEvent::Kind::kRegistered, rec);
  Settle(now);
  return reg.index_;
}

Result<uint64_t> Registry::Impl::Update(InstanceRec& rec, InstanceSpec spec, TimePoint now) {
  Instance next = rec.inst;
  FillData(next, std::move(spec), reg.config_.deregister_after);
  const bool data_changed = !SameData(rec.inst, next);
  Count(rec, false);
  rec.inst = std::move(next);
  if (rec.inst.ttl > Duration::zero()) {
    rec.inst.lease_deadline = now + rec.inst.ttl;
  } else {
    rec.inst.lease_deadline.reset();
  }
  const bool was_held = rec.held;
  if (was_held) Unhold(rec);
  const Health before = rec.inst.health;
  // Re-registering renews every lease, a TTL check's too (SPEC §3).
  for (CheckState& c : rec.inst.checks) {
    if (c.spec.kind == CheckKind::kTtl && c.status == Health::kCritical) {
      c.status = Health::kPassing;
      c.output.clear();
    }
  }
  StartTtlChecks(rec, now, /*renew=*/true);
  SetHealth(rec, before == Health::kMaintenance ? Health::kMaintenance : Health::kPassing, now);
  const bool health_changed = rec.inst.health != before;
  Count(rec, true);
  ArmLease(rec);
  if (data_changed || health_changed || was_held) Touch(rec);
  if (was_held) Emit(RegistryEvent::Kind::kLapseCancelled, rec);
  if (data_changed) Emit(RegistryEvent::Kind::kUpdated, rec);
  if (health_changed) Emit(RegistryEvent::Kind::kHealthChanged, rec);
  Settle(now);
  return reg.index_;
}

Result<uint64_t> Registry::Impl::Heartbeat(InstanceRec& rec, std::optional<Health> status,
                                           std::optional<std::string> note) {
  const TimePoint now = Now();
  Count(rec, false);
  if (rec.inst.ttl > Duration::zero()) rec.inst.lease_deadline = now + rec.inst.ttl;
  const bool was_held = rec.held;
  if (was_held) Unhold(rec);
  bool health_changed = false, note_changed = false;
  if (rec.inst.health != Health::kMaintenance) {
    const Health before = rec.inst.health;
    SetHealth(rec, status.value_or(Health::kPassing), now);
    health_changed = rec.inst.health != before;
    std::string text = std::move(note).value_or(std::string());
    note_changed = text != rec.inst.note;
    if (note_changed) rec.inst.note = std::move(text);
  }
  Count(rec, true);
  ArmLease(rec);
  if (health_changed || note_changed || was_held) Touch(rec);
  if (was_held) Emit(RegistryEvent::Kind::kLapseCancelled, rec);
  if (health_changed) Emit(RegistryEvent::Kind::kHealthChanged, rec);
  if (note_changed && !health_changed) Emit(RegistryEvent::Kind::kNoteChanged, rec);
  Settle(now);
  return reg.index_;
}

Result<uint64_t> Registry::Impl::Renew(InstanceRec& rec) {
  const TimePoint now = Now();
  Count(rec, false);
  if (rec.inst.ttl > Duration::zero()) rec.inst.lease_deadline = now + rec.inst.ttl;
  const bool was_held = rec.held;
  if (was_held) Unhold(rec);
  if (rec.removal_deadline) {  // critical: counted again from now (the old timer re-arms)
    rec.removal_deadline = now + rec.inst.deregister_after;
    ArmRemoval(rec);
  }
  Count(rec, true);
  ArmLease(rec);
  if (was_held) {
    Touch(rec);
    Emit(RegistryEvent::Kind::kLapseCancelled, rec);
  }
  Settle(now);
  return reg.index_;
}

Result<uint64_t> Registry::Impl::SetStatus(InstanceRec& rec, Health status,
                                           std::optional<std::string> note) {
  const TimePoint now = Now();
  Count(rec, false);
  const bool unheld = rec.held && status == Health::kMaintenance;
  if (unheld) Unhold(rec);
  const Health before = rec.inst.health;
  SetHealth(rec, status, now);
  const bool health_changed = rec.inst.health != before;
  std::string text = std::move(note).value_or(std::string());
  const bool note_changed = text != rec.inst.note;
  if (note_changed) rec.inst.note = std::move(text);
  Count(rec, true);
  ArmLease(rec);
  if (health_changed || note_changed || unheld) Touch(rec);
  if (unheld) Emit(RegistryEvent::Kind::kLapseCancelled, rec);
  if (health_changed) Emit(RegistryEvent::Kind::kHealthChanged, rec);
  if (note_changed && !health_changed) Emit(RegistryEvent::Kind::kNoteChanged, rec);
  Settle(now);
  return reg.index_;
}

Result<uint64_t> Registry::Impl::SetCheckResult(InstanceRec& rec, size_t n, Health status,
                                                std::string output, int64_t last_run_ms) {
  CheckState& check = rec.inst.checks[n];
  check.last_run_ms = last_run_ms;
  const TimePoint now = Now();
  if (check.spec.kind == CheckKind::kTtl && !rec.remote) {  // a TTL check's heartbeat
    check.deadline = now + check.spec.interval;
  }
  if (check.status == status && check.output == output) {
    ArmChecks(rec);
    return reg.index_;  // nothing visible
  }
  Count(rec, false);
  const Health before = rec.inst.health;
  check.status = status;
  check.output = std::move(output);
  SetHealth(rec, rec.inst.own_health, now);
  Count(rec, true);
  ArmChecks(rec);
  Touch(rec);
  Emit(rec.inst.health != before ? RegistryEvent::Kind::kHealthChanged
                                 : RegistryEvent::Kind::kNoteChanged,
       rec);
  Settle(now);
  return reg.index_;
}

// ---- Registry ----

Registry::Registry(const Clock& clock, RegistryConfig config)
    : clock_(clock), config_(std::move(config)) {
  impl_ = std::make_unique<Impl>(*this);
  view_ = std::make_unique<Published<RegistryView>>(impl_->InitialView());
}

Registry::~Registry() = default;

Result<uint64_t> Registry::Register(InstanceSpec spec) {
  if (Status s = Validate(spec); !s) return s.error();
  return impl_->Register(std::move(spec));
}

Result<uint64_t> Registry::Heartbeat(std::string_view service, std::string_view id,
                                     std::optional<Health> status,
                                     std::optional<std::string> note) {
  if (status && *status != Health::kPassing && *status != Health::kWarning) {
    return Invalid("status", "heartbeat status must be passing or warning, got " +
                                 std::string(HealthName(*status)));
  }
  if (Status s = CheckNote(note); !s) return s.error();
  InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  if (!rec) return NotFound(service, id);
  return impl_->Heartbeat(*rec, status, std::move(note));
}

Result<uint64_t> Registry::Renew(std::string_view service, std::string_view id) {
  InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  if (!rec) return NotFound(service, id);
  return impl_->Renew(*rec);
}

Result<uint64_t> Registry::SetStatus(std::string_view service, std::string_view id, Health status,
                                     std::optional<std::string> note) {
  if (Status s = CheckNote(note); !s) return s.error();
  InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  if (!rec) return NotFound(service, id);
  return impl_->SetStatus(*rec, status, std::move(note));
}

Result<uint64_t> Registry::Deregister(std::string_view service, std::string_view id) {
  InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  if (!rec) return NotFound(service, id);
  impl_->Remove(*rec, RemovalReason::kDeregistered);
  impl_->Settle(clock_.Now());
  return index_;
}

Result<uint64_t> Registry::SetCheckResult(std::string_view service, std::string_view id,
                                          size_t check, Health status, std::string output,
                                          int64_t last_run_ms) {
  if (status == Health::kMaintenance) {
    return Invalid("status", "a check result is passing, warning or critical");
  }
  InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  if (!rec) return NotFound(service, id);
  if (check >= rec->inst.checks.size()) {
    return Invalid("check", "instance " + rec->inst.id + " has no check " + std::to_string(check));
  }
  if (output.size() > kMaxCheckOutput) output.resize(kMaxCheckOutput);
  return impl_->SetCheckResult(*rec, check, status, std::move(output), last_run_ms);
}

void Registry::NoteCheckRun(std::string_view service, std::string_view id, size_t check,
                            int64_t last_run_ms) {
  InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  if (rec && check < rec->inst.checks.size()) rec->inst.checks[check].last_run_ms = last_run_ms;
}

bool Registry::Owned(std::string_view service, std::string_view id) const {
  const InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  return rec != nullptr && !rec->remote;
}

void Registry::BeginRestore() {
  impl_->loaded = false;
  impl_->Publish(/*force=*/true);
}

Status Registry::Restore(Instance instance) {
  Impl& i = *impl_;
  if (i.Lookup(instance.service, instance.id)) {
    return Invalid("id", "instance " + instance.service + "/" + instance.id + " stored twice");
  }
  auto sit = i.services.find(instance.service);
  if (Status s = i.CheckLimits(sit == i.services.end() ? nullptr : &sit->second); !s) return s;
  const TimePoint now = clock_.Now();
  ServiceRec& svc = i.services[instance.service];
  svc.name = instance.service;
  svc.index = std::max(svc.index, instance.index);
  InstanceRec& rec = svc.instances[instance.id];
  rec.service = &svc;
  rec.slot = i.AllocSlot(&rec);
  rec.inst = std::move(instance);
  rec.inst.is_protected = false;
  rec.inst.lease_deadline.reset();
  if (rec.inst.ttl > Duration::zero()) rec.inst.lease_deadline = now + rec.inst.ttl;
  i.SetHealth(rec, OwnHealth(rec.inst), now);  // a critical instance's removal counts from now
  ++i.instances;
  i.Count(rec, true);
  i.ArmLease(rec);  // FinishRestore marks every service for the publish
  i.StartTtlChecks(rec, now, /*renew=*/true);
  i.Emit(RegistryEvent::Kind::kRestored, rec);
  return Ok{};
}

void Registry::FinishRestore(uint64_t stored_index) {
  uint64_t top = std::max(index_, stored_index);
  for (const auto& [name, svc] : impl_->services) top = std::max(top, svc.index);
  index_ = top + 1;  // the restart itself is a change: every lease was renewed
  for (auto& [name, svc] : impl_->services) {
    svc.index = index_;
    impl_->dirty.insert(name);
  }
  impl_->loaded = true;
  impl_->Publish(/*force=*/true);
  impl_->Settle(clock_.Now());
}

void Registry::Tick() { impl_->Tick(clock_.Now()); }

std::optional<TimePoint> Registry::NextDeadline() const { return impl_->NextDeadline(); }

void Registry::Publish() { impl_->Publish(); }

const Instance* Registry::Find(std::string_view service, std::string_view id) const {
  const InstanceRec* rec = impl_->Lookup(ToLower(service), ToLower(id));
  return rec ? &rec->inst : nullptr;
}

std::vector<const Instance*> Registry::Instances(std::string_view service) const {
  std::vector<const Instance*> out;
  auto it = impl_->services.find(ToLower(service));
  if (it == impl_->services.end()) return out;
  out.reserve(it->second.instances.size());
  for (const auto& [id, rec] : it->second.instances) out.push_back(&rec.inst);
  return out;
}

uint64_t Registry::ServiceIndex(std::string_view service) const {
  auto it = impl_->services.find(ToLower(service));
  return it == impl_->services.end() ? 0 : it->second.index;
}

std::vector<Registry::ServiceSummary> Registry::Services() const {
  std::vector<ServiceSummary> out;
  out.reserve(impl_->services.size());
  for (const auto& [name, svc] : impl_->services) {
    out.push_back(ServiceSummary{name, svc.instances.size(), svc.passing, svc.warning});
  }
  std::sort(out.begin(), out.end(),
            [](const ServiceSummary& a, const ServiceSummary& b) { return a.name < b.name; });
  return out;
}

RegistryStats Registry::Stats() const {
  const Impl& i = *impl_;
  RegistryStats s;
  s.services = i.services.size();
  s.instances = i.instances;
  s.passing = i.by_health[static_cast<size_t>(Health::kPassing)];
  s.warning = i.by_health[static_cast<size_t>(Health::kWarning)];
  s.critical = i.by_health[static_cast<size_t>(Health::kCritical)];
  s.maintenance = i.by_health[static_cast<size_t>(Health::kMaintenance)];
  s.lease_lapses_total = i.lapses_total;
  s.removed_deregistered_total = i.removed_deregistered;
  s.removed_expired_total = i.removed_expired;
  s.self_preservation_enabled = config_.self_preservation.enabled;
  s.self_preservation_active = i.sp_active;
  s.held_back = i.held.size();
  s.self_preservation_entered_total = i.sp_entered;
  return s;
}

void Registry::AddObserver(RegistryObserver* observer) const {
  if (std::find(impl_->observers.begin(), impl_->observers.end(), observer) ==
      impl_->observers.end()) {
    impl_->observers.push_back(observer);
  }
}

void Registry::RemoveObserver(RegistryObserver* observer) const {
  auto& v = impl_->observers;
  v.erase(std::remove(v.begin(), v.end(), observer), v.end());
}

}  // namespace registry
