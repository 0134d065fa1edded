// Changes committed by a shared store (cluster mode), applied at the store's index.
// See Registry::ApplyAt in registry.h for the contract.
#include <algorithm>

#include "registry/registry_impl.h"

namespace registry {

void Registry::ApplyAt(Instance in, uint64_t index, bool owned) {
  Impl& i = *impl_;
  const TimePoint now = clock_.Now();
  InstanceRec* rec = i.Lookup(in.service, in.id);
  const bool created = rec == nullptr;
  bool data_changed = false, health_changed = false, note_changed = false;
  if (created) {
    ServiceRec& svc = i.services[in.service];
    svc.name = in.service;
    rec = &svc.instances[in.id];
    rec->service = &svc;
    rec->slot = i.AllocSlot(rec);
    ++i.instances;
  } else {
    i.Count(*rec, false);
    if (rec->held) i.Unhold(*rec);
    data_changed = !SameData(rec->inst, in);
    health_changed = rec->inst.health != in.health;
    note_changed = rec->inst.note != in.note;
  }
  const Health health = in.health;
  const std::optional<TimePoint> old_deadline = rec->inst.lease_deadline;
  const bool was_remote = rec->remote;
  // TTL check deadlines are this replica's own (not in the shared record): an echo keeps them.
  for (size_t n = 0; n < in.checks.size() && n < rec->inst.checks.size(); ++n) {
    if (in.checks[n].spec == rec->inst.checks[n].spec) in.checks[n].deadline = rec->inst.checks[n].deadline;
  }
  rec->inst = std::move(in);
  rec->inst.is_protected = false;
  rec->remote = !owned;
  rec->inst.lease_deadline.reset();
  if (owned) {
    if (rec->inst.ttl > Duration::zero()) {
      const bool live = health == Health::kPassing || health == Health::kWarning;
      // A write of this replica renews the lease; a lapse it wrote keeps the old deadline.
      rec->inst.lease_deadline =
          live || !old_deadline || was_remote ? now + rec->inst.ttl : *old_deadline;
    }
    if (was_remote) rec->removal_deadline.reset();  // counted from now if critical
    i.SetHealth(*rec, OwnHealth(rec->inst), now);
  } else {
    rec->inst.health = health;
    rec->inst.own_health = OwnHealth(rec->inst);
    rec->removal_deadline.reset();
  }
  i.Count(*rec, true);
  i.ArmLease(*rec);
  i.StartTtlChecks(*rec, now, /*renew=*/owned && was_remote);
  rec->inst.index = index;
  rec->service->index = std::max(rec->service->index, index);
  index_ = std::max(index_, index);
  i.dirty.insert(rec->service->name);
  using Kind = RegistryEvent::Kind;
  if (created) {
    i.Emit(Kind::kRegistered, *rec);
  } else if (health_changed) {
    i.Emit(Kind::kHealthChanged, *rec);
  } else if (note_changed && !data_changed) {
    i.Emit(Kind::kNoteChanged, *rec);
  } else {
    i.Emit(Kind::kUpdated, *rec);  // also an echo that changed nothing: its index moved
  }
  i.Settle(now);
}

void Registry::RemoveAt(std::string_view service, std::string_view id, uint64_t index,
                        RemovalReason reason) {
  InstanceRec* rec = impl_->Lookup(service, id);
  if (!rec) {
    index_ = std::max(index_, index);
    return;
  }
  impl_->Remove(*rec, reason, index);
  impl_->Settle(clock_.Now());
}

void Registry::FinishRestoreAt(uint64_t index) {
  index_ = std::max(index_, index);
  impl_->loaded = true;
  impl_->Publish(/*force=*/true);
  impl_->Settle(clock_.Now());
}

}  // namespace registry
