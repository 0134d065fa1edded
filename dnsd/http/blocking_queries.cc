// Waiter bookkeeping for blocking queries.
#include "dnsd/http/blocking_queries.h"

namespace dnsd::http {

BlockingQueries::Id BlockingQueries::Add(BlockingQuery query, void* context) {
  Id id = next_id_++;
  by_service_[query.service].insert(id);
  deadlines_.emplace(query.deadline, id);
  entries_.emplace(id, Entry{std::move(query), context, false});
  return id;
}

void BlockingQueries::Unindex(Id id, const Entry& entry) {
  if (entry.ready) return;  // already out of both indexes
  deadlines_.erase({entry.query.deadline, id});
  auto it = by_service_.find(entry.query.service);
  if (it == by_service_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) by_service_.erase(it);
}

BlockingQueries::Waiter BlockingQueries::Extract(Id id) {
  auto it = entries_.find(id);
  Waiter w{id, std::move(it->second.query), it->second.context};
  entries_.erase(it);
  return w;
}

bool BlockingQueries::Remove(Id id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  Unindex(id, it->second);
  entries_.erase(it);
  return true;
}

bool BlockingQueries::OnChange(std::string_view service, uint64_t index) {
  std::vector<Id> woken;
  // The service's waiters, and those on every change (an empty service).
  for (std::string_view key : {service, std::string_view()}) {
    auto it = by_service_.find(key);
    if (it == by_service_.end()) continue;
    for (Id id : it->second) {
      if (entries_.at(id).query.index < index) woken.push_back(id);
    }
    if (key.empty()) break;
  }
  for (Id id : woken) {
    Entry& entry = entries_.at(id);
    Unindex(id, entry);  // may erase `it`
    entry.ready = true;
    ready_.push_back(id);
  }
  return !woken.empty();
}

std::vector<BlockingQueries::Waiter> BlockingQueries::TakeReady() {
  std::vector<Waiter> out;
  std::vector<Id> ids;
  ids.swap(ready_);
  for (Id id : ids) {
    if (entries_.count(id) != 0) out.push_back(Extract(id));
  }
  return out;
}

std::vector<BlockingQueries::Waiter> BlockingQueries::TakeExpired(registry::TimePoint now) {
  std::vector<Waiter> out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Id id = deadlines_.begin()->second;
    Unindex(id, entries_.at(id));
    out.push_back(Extract(id));
  }
  return out;
}

std::vector<BlockingQueries::Waiter> BlockingQueries::TakeAll() {
  std::vector<Waiter> out = TakeReady();
  std::vector<Id> ids;
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  for (Id id : ids) {
    Unindex(id, entries_.at(id));
    out.push_back(Extract(id));
  }
  return out;
}

std::optional<registry::TimePoint> BlockingQueries::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace dnsd::http
