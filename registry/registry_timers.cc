// Lease and removal timers and self-preservation (SPEC §3).
//
// Timers are lazy: each record has at most one live entry per heap, remembered by its
// time in the record. Renewing a lease only moves the record's deadline (O(1)); when the
// old entry comes up, Tick() re-queues it at the real deadline. Entries of removed
// instances are recognised by the slot generation and skipped.
#include <algorithm>
#include <functional>

#include "registry/registry_impl.h"

namespace registry {

namespace {
bool Later(const TimerEntry& a, const TimerEntry& b) { return a.when > b.when; }
}  // namespace

void TimerHeap::Push(TimerEntry e) {
  heap_.push_back(e);
  std::push_heap(heap_.begin(), heap_.end(), Later);
}

TimerEntry TimerHeap::Pop() {
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  TimerEntry e = heap_.back();
  heap_.pop_back();
  return e;
}

void Registry::Impl::ArmLease(InstanceRec& rec) {
  if (!rec.inst.lease_deadline || rec.held || rec.remote) return;
  const TimePoint deadline = *rec.inst.lease_deadline;
  // An existing entry at or before the deadline will find the record in time.
  if (rec.lease_timer && *rec.lease_timer <= deadline) return;
  rec.lease_timer = deadline;
  lease_heap.Push(TimerEntry{deadline, rec.slot, slots[rec.slot].gen});
}

void Registry::Impl::ArmRemoval(InstanceRec& rec) {
  if (!rec.removal_deadline || rec.remote) return;
  const TimePoint deadline = *rec.removal_deadline;
  if (rec.removal_timer && *rec.removal_timer <= deadline) return;
  rec.removal_timer = deadline;
  removal_heap.Push(TimerEntry{deadline, rec.slot, slots[rec.slot].gen});
}

void Registry::Impl::StartTtlChecks(InstanceRec& rec, TimePoint now, bool renew) {
  for (CheckState& c : rec.inst.checks) {
    if (c.spec.kind != CheckKind::kTtl) continue;
    if (rec.remote) {
      c.deadline.reset();  // its owner runs it out
    } else if (renew || !c.deadline) {
      c.deadline = now + c.spec.interval;
    }
  }
  ArmChecks(rec);
}

void Registry::Impl::ArmChecks(InstanceRec& rec) {
  if (rec.remote) return;
  std::optional<TimePoint> earliest;
  for (const CheckState& c : rec.inst.checks) {
    if (c.spec.kind != CheckKind::kTtl || !c.deadline || c.status == Health::kCritical) continue;
    if (!earliest || *c.deadline < *earliest) earliest = c.deadline;
  }
  if (!earliest || (rec.check_timer && *rec.check_timer <= *earliest)) return;
  rec.check_timer = earliest;
  check_heap.Push(TimerEntry{*earliest, rec.slot, slots[rec.slot].gen});
}

// A TTL check that ran out is critical, as a lapsed lease is; self-preservation holds back
// lease lapses only (a TTL check beside a lease is the app's own statement of health).
void Registry::Impl::OnChecksDue(InstanceRec& rec, TimePoint now) {
  if (rec.remote) return;
  bool lapsed = false;
  for (const CheckState& c : rec.inst.checks) {
    lapsed |= c.spec.kind == CheckKind::kTtl && c.deadline && *c.deadline <= now &&
              c.status != Health::kCritical;
  }
  if (lapsed) {
    Count(rec, false);
    const Health before = rec.inst.health;
    for (CheckState& c : rec.inst.checks) {
      if (c.spec.kind != CheckKind::kTtl || !c.deadline || *c.deadline > now ||
          c.status == Health::kCritical) {
        continue;
      }
      c.status = Health::kCritical;
      c.output = "TTL expired";
    }
    SetHealth(rec, rec.inst.own_health, now);
    Count(rec, true);
    Touch(rec);
    Emit(rec.inst.health != before ? RegistryEvent::Kind::kHealthChanged
                                   : RegistryEvent::Kind::kNoteChanged,
         rec);
  }
  ArmChecks(rec);
}

void Registry::Impl::Hold(InstanceRec& rec) {
  rec.held = true;
  rec.inst.is_protected = true;
  rec.held_pos = held.insert(held.end(), &rec);
}

void Registry::Impl::Unhold(InstanceRec& rec) {
  held.erase(rec.held_pos);
  rec.held = false;
  rec.inst.is_protected = false;
}

bool Registry::Impl::ShouldHold() const {
  const SelfPreservationConfig& sp = reg.config_.self_preservation;
  if (!sp.enabled || leased_active == 0 || leased_active < sp.min_instances) return false;
  const double e = static_cast<double>(applied.size() + held.size());
  return (e + 1) / static_cast<double>(leased_active) > sp.threshold;
}

bool Registry::Impl::MayRelease() const {
  const SelfPreservationConfig& sp = reg.config_.self_preservation;
  if (!sp.enabled || leased_active == 0 || leased_active < sp.min_instances) return true;
  const double e = static_cast<double>(applied.size() + held.size());
  return e / static_cast<double>(leased_active) <= sp.threshold;
}

void Registry::Impl::PruneWindow(TimePoint now) {
  const TimePoint horizon = now - reg.config_.self_preservation.window;
  while (!applied.empty() && applied.front() <= horizon) applied.pop_front();
}

void Registry::Impl::ApplyLapse(InstanceRec& rec, TimePoint now) {
  Count(rec, false);
  if (rec.held) Unhold(rec);
  const bool health_changed = rec.inst.health != Health::kCritical;
  SetHealth(rec, Health::kCritical, now);  // own health: the checks may have been critical
  Count(rec, true);
  applied.push_back(now);
  ++lapses_total;
  Touch(rec);
  Emit(RegistryEvent::Kind::kLeaseLapsed, rec);
  if (health_changed) Emit(RegistryEvent::Kind::kHealthChanged, rec);
}

void Registry::Impl::OnLeaseDue(InstanceRec& rec, TimePoint now) {
  // Lease dropped by re-registration, or the instance now belongs to another replica.
  if (!rec.inst.lease_deadline || rec.remote) return;
  if (*rec.inst.lease_deadline > now) {
    ArmLease(rec);  // renewed since this entry was queued
    return;
  }
  // Maintenance: processed when it is cleared. Held: already in the held-back set.
  // Critical: already out of DNS with its removal pending.
  if (rec.held || rec.inst.health == Health::kMaintenance || rec.inst.own_health == Health::kCritical) {
    return;
  }
  if (!ShouldHold()) {
    ApplyLapse(rec, now);
    return;
  }
  Hold(rec);
  Touch(rec);
  Emit(RegistryEvent::Kind::kLapseHeldBack, rec);
  if (!sp_active) {
    sp_active = true;
    ++sp_entered;
    Emit(RegistryEvent::Kind::kSelfPreservationEntered, {}, {}, Health::kPassing);
  }
}

void Registry::Impl::OnRemovalDue(InstanceRec& rec, TimePoint now) {
  if (!rec.removal_deadline || rec.remote) return;  // left critical, or moved away
  if (*rec.removal_deadline > now) {
    ArmRemoval(rec);
    return;
  }
  Remove(rec, RemovalReason::kExpired);
}

void Registry::Impl::Settle(TimePoint now) {
  PruneWindow(now);
  // Applying a held-back lapse moves it from held to applied: E and L stay the same,
  // so the rule is checked once per step only because L or the window changed before.
  while (!held.empty() && MayRelease()) ApplyLapse(*held.front(), now);
  const bool active = !held.empty();
  if (active == sp_active) return;
  sp_active = active;
  if (active) ++sp_entered;
  Emit(active ? RegistryEvent::Kind::kSelfPreservationEntered
              : RegistryEvent::Kind::kSelfPreservationLeft,
       {}, {}, Health::kPassing);
}

void Registry::Impl::Tick(TimePoint now) {
  Settle(now);  // older held-back lapses go before new ones
  while (lease_heap.Due(now)) {
    const TimerEntry e = lease_heap.Pop();
    InstanceRec* rec = Resolve(e);
    if (!rec || rec->lease_timer != e.when) continue;  // removed, or a stale duplicate
    rec->lease_timer.reset();
    OnLeaseDue(*rec, now);
  }
  while (check_heap.Due(now)) {
    const TimerEntry e = check_heap.Pop();
    InstanceRec* rec = Resolve(e);
    if (!rec || rec->check_timer != e.when) continue;
    rec->check_timer.reset();
    OnChecksDue(*rec, now);
  }
  while (removal_heap.Due(now)) {
    const TimerEntry e = removal_heap.Pop();
    InstanceRec* rec = Resolve(e);
    if (!rec || rec->removal_timer != e.when) continue;
    rec->removal_timer.reset();
    OnRemovalDue(*rec, now);
  }
  Settle(now);  // removals change L
  DropStaleTops();
}

void Registry::Impl::DropStaleTops() {
  // Entries of removed instances and superseded duplicates at the top would only make
  // NextDeadline() wake the loop for nothing.
  while (auto e = lease_heap.Top()) {
    const InstanceRec* rec = Resolve(*e);
    if (rec && rec->lease_timer == e->when) break;
    lease_heap.Pop();
  }
  while (auto e = removal_heap.Top()) {
    const InstanceRec* rec = Resolve(*e);
    if (rec && rec->removal_timer == e->when) break;
    removal_heap.Pop();
  }
  while (auto e = check_heap.Top()) {
    const InstanceRec* rec = Resolve(*e);
    if (rec && rec->check_timer == e->when) break;
    check_heap.Pop();
  }
}

std::optional<TimePoint> Registry::Impl::NextDeadline() const {
  std::optional<TimePoint> next = lease_heap.Earliest();
  auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(removal_heap.Earliest());
  consider(check_heap.Earliest());
  // Only the oldest applied lapse leaving the window can release a held-back one.
  if (!held.empty() && !applied.empty()) {
    consider(applied.front() + reg.config_.self_preservation.window);
  }
  return next;
}

}  // namespace registry
