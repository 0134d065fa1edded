// EurekaDelta: the changes of the last 3 minutes for GET /eureka/apps/delta (SPEC §11),
// as Eureka's recently-changed queue keeps them, so that delta clients stay consistent.
//
// Fed from RegistryEvents on the registry's thread (OnEvent, with the time of the event),
// it records which instance changed how (ADDED, MODIFIED, DELETED) and when; a reader
// renders ADDED and MODIFIED from the registry's current state and DELETED from what the
// instance looked like (Remember, called when the Eureka API accepts a registration; an
// instance registered otherwise is shown by its service and id). Pure bookkeeping: no
// registry calls, no clock of its own. Bounded: beyond max_entries the oldest are dropped
// (a client then sees a hashcode that differs from its own and fetches everything).
//
// Changes are recorded only while Eureka clients read (NoteRead: any GET of the Eureka
// API within the window), so that a dnsd nobody reads through Eureka — a sidecar agent
// mirroring a busy fleet — keeps nothing. A client's first read is a full fetch, which
// starts the recording, so every later delta it asks for within the window is whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dnsd/http/eureka_view.h"
#include "registry/clock.h"
#include "registry/registry.h"

namespace dnsd::http {

class EurekaDelta {
 public:
  enum class Action : uint8_t { kAdded, kModified, kDeleted };
  static std::string_view ActionName(Action a);  // "ADDED", "MODIFIED", "DELETED"

  explicit EurekaDelta(registry::Duration window = std::chrono::minutes(3),
                       size_t max_entries = size_t{1} << 18)
      : window_(window), max_entries_(max_entries) {}

  // What the instance service/id (lower-case) looks like to Eureka, for its DELETED entry.
  void Remember(std::string_view service, std::string_view id, eureka::InstanceInfo info);
  // Registered -> ADDED; updated, health or protection changed -> MODIFIED; removed ->
  // DELETED. Other events change nothing a Eureka client sees.
  void OnEvent(const registry::RegistryEvent& event, registry::TimePoint now);

  struct Change {
    registry::TimePoint at;
    std::string service, id;
    Action action = Action::kModified;
    std::shared_ptr<const eureka::InstanceInfo> last;  // DELETED: as remembered, when it was
  };
  // One change per instance changed within the window before now, its latest, oldest
  // first; ADDED when the instance was added within the window (and not deleted after).
  std::vector<Change> Recent(registry::TimePoint now);
  // A Eureka client read the registry at `now`: record changes for the window after it.
  void NoteRead(registry::TimePoint now) { last_read_ = now; }
  size_t size() const { return log_.size(); }

 private:
  void Prune(registry::TimePoint now);
  bool Recording(registry::TimePoint now) const {
    return last_read_ && now - *last_read_ <= window_;
  }

  registry::Duration window_;
  size_t max_entries_;
  std::optional<registry::TimePoint> last_read_;
  std::deque<Change> log_;
  std::unordered_map<std::string, std::shared_ptr<const eureka::InstanceInfo>> known_;  // "service/id"
};

}  // namespace dnsd::http
