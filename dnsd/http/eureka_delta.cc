// EurekaDelta: see eureka_delta.h.
#include "dnsd/http/eureka_delta.h"

#include <unordered_set>
#include <utility>

namespace dnsd::http {
namespace {

std::string Key(std::string_view service, std::string_view id) {
  std::string k(service);
  k += '/';
  k += id;
  return k;
}

}  // namespace

std::string_view EurekaDelta::ActionName(Action a) {
  switch (a) {
    case Action::kAdded: return "ADDED";
    case Action::kModified: return "MODIFIED";
    case Action::kDeleted: return "DELETED";
  }
  return "MODIFIED";
}

void EurekaDelta::Remember(std::string_view service, std::string_view id,
                           eureka::InstanceInfo info) {
  known_[Key(service, id)] = std::make_shared<const eureka::InstanceInfo>(std::move(info));
}

void EurekaDelta::OnEvent(const registry::RegistryEvent& event, registry::TimePoint now) {
  using Kind = registry::RegistryEvent::Kind;
  if (event.service.empty() || event.id.empty()) return;
  Action action = Action::kModified;
  switch (event.kind) {
    case Kind::kRegistered:
      action = Action::kAdded;
      break;
    case Kind::kUpdated:
    case Kind::kHealthChanged:
    case Kind::kLapseHeldBack:
    case Kind::kLapseCancelled:
      break;
    case Kind::kRemoved:
      action = Action::kDeleted;
      break;
    default:
      return;
  }
  std::shared_ptr<const eureka::InstanceInfo> last;
  if (action == Action::kDeleted && !known_.empty()) {  // forgotten whether recorded or not
    auto it = known_.find(Key(event.service, event.id));
    if (it != known_.end()) {
      last = std::move(it->second);
      known_.erase(it);
    }
  }
  if (!Recording(now)) {  // nobody reads through Eureka: nothing to keep, nothing to build
    log_.clear();
    return;
  }
  log_.push_back(Change{now, std::string(event.service), std::string(event.id), action, std::move(last)});
  while (log_.size() > max_entries_) log_.pop_front();
  Prune(now);
}

void EurekaDelta::Prune(registry::TimePoint now) {
  while (!log_.empty() && log_.front().at + window_ < now) log_.pop_front();
}

std::vector<EurekaDelta::Change> EurekaDelta::Recent(registry::TimePoint now) {
  NoteRead(now);
  Prune(now);
  // Newest first: the first entry seen of an instance is its latest change.
  std::unordered_map<std::string, size_t> latest;  // key -> index into out
  std::vector<Change> out;
  for (auto it = log_.rbegin(); it != log_.rend(); ++it) {
    std::string key = Key(it->service, it->id);
    auto [pos, inserted] = latest.emplace(std::move(key), out.size());
    if (inserted) {
      out.push_back(*it);
      continue;
    }
    Change& newest = out[pos->second];
    if (it->action == Action::kAdded && newest.action == Action::kModified) {
      newest.action = Action::kAdded;  // added within the window: still new to a client
    }
  }
  std::vector<Change> oldest_first(std::make_move_iterator(out.rbegin()),
                                   std::make_move_iterator(out.rend()));
  return oldest_first;
}

}  // namespace dnsd::http
