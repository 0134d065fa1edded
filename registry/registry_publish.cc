// Publishing: copy-on-write of the shards of services changed since the last Publish.
#include <array>

#include "registry/registry_impl.h"

namespace registry {

std::shared_ptr<const ServiceSnapshot> Registry::Impl::BuildSnapshot(const ServiceRec& svc) const {
  auto snap = std::make_shared<ServiceSnapshot>();
  snap->name = svc.name;
  snap->index = svc.index;
  snap->instances.reserve(svc.instances.size());
  for (const auto& [id, rec] : svc.instances) snap->instances.push_back(rec.inst);  // id order
  return snap;
}

void Registry::Impl::Publish() {
  if (dirty.empty()) return;
  auto view = std::make_shared<RegistryView>(*current);  // copies 256 shard pointers
  std::array<std::shared_ptr<RegistryView::Shard>, RegistryView::kShards> copies;
  for (const std::string& name : dirty) {
    const size_t n = RegistryView::ShardOf(name);
    if (!copies[n]) copies[n] = std::make_shared<RegistryView::Shard>(*current->shards[n]);
    RegistryView::Shard& shard = *copies[n];
    auto it = services.find(name);
    if (it == services.end()) {
      shard.erase(name);
    } else {
      shard.insert_or_assign(name, BuildSnapshot(it->second));
    }
  }
  for (size_t n = 0; n < RegistryView::kShards; ++n) {
    if (copies[n]) view->shards[n] = std::move(copies[n]);
  }
  dirty.clear();
  view->loaded_ = current->loaded_;
  view->index_ = reg.index_;
  view->generation_ = current->generation_ + 1;
  current = view;
  reg.view_->Publish(std::move(view));
}

}  // namespace registry
