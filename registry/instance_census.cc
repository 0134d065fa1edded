// Counting protocols and tags across a writer's services (instance_census.h).
#include "registry/instance_census.h"

#include <utility>
#include <vector>

namespace registry::view_internal {

InstanceCensus::InstanceCensus() = default;
InstanceCensus::~InstanceCensus() = default;

void InstanceCensus::Count(const Instance& instance, int delta) {
  size_t& proto = protos_[static_cast<size_t>(instance.proto)];
  proto = delta > 0 ? proto + 1 : proto - 1;
  for (const std::string& tag : instance.tags) {
    if (delta > 0) {
      if (tags_[tag]++ > 0) continue;
      ServiceSnapshot carried;
      carried.name = tag;
      tag_writer_.Put(std::move(carried));
      tags_changed_ = true;
      continue;
    }
    auto it = tags_.find(tag);
    if (it == tags_.end() || --it->second > 0) continue;
    tag_writer_.Erase(tag);
    tags_.erase(it);
    tags_changed_ = true;
  }
}

// A merge of the two id-sorted lists. Were a list not sorted, ids would pair up less
// often, and an unpaired instance is counted out and in on its own: the counts stay right.
void InstanceCensus::Change(const ServiceSnapshot* old, const ServiceSnapshot* next) {
  static const std::vector<Instance> kNone;
  const std::vector<Instance>& a = old ? old->instances : kNone;
  const std::vector<Instance>& b = next ? next->instances : kNone;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].id < b[j].id)) {
      Count(a[i++], -1);
    } else if (i == a.size() || b[j].id < a[i].id) {
      Count(b[j++], +1);
    } else {
      if (a[i].proto != b[j].proto || a[i].tags != b[j].tags) {
        Count(b[j], +1);  // in before out: a tag kept by the instance stays published
        Count(a[i], -1);
      }
      ++i;
      ++j;
    }
  }
}

uint8_t InstanceCensus::protos() const {
  uint8_t bits = 0;
  for (size_t p = 0; p < protos_.size(); ++p) {
    if (protos_[p] > 0) bits |= static_cast<uint8_t>(1u << p);
  }
  return bits;
}

std::shared_ptr<const RegistryView> InstanceCensus::PublishTags() {
  if (tags_changed_ || !tag_view_) tag_view_ = tag_writer_.Publish(true, 0);
  tags_changed_ = false;
  return tag_view_;
}

}  // namespace registry::view_internal
