#include "registry/snapshot.h"

#include <catch2/catch.hpp>

using namespace registry;

namespace {
Instance Make(std::string id) {
  Instance i;
  i.service = "web";
  i.id = std::move(id);
  return i;
}
}  // namespace

TEST_CASE("ServiceSnapshot::FindInstance finds ids by binary search", "[registry]") {
  ServiceSnapshot snap;
  snap.name = "web";
  for (const char* id : {"a", "b-1", "b-2", "c", "z9"}) snap.instances.push_back(Make(id));
  for (const char* id : {"a", "b-1", "b-2", "c", "z9"}) {
    const Instance* found = snap.FindInstance(id);
    REQUIRE(found);
    CHECK(found->id == id);
  }
  CHECK(snap.FindInstance("b") == nullptr);
  CHECK(snap.FindInstance("zz") == nullptr);
  CHECK(snap.FindInstance("") == nullptr);
  CHECK(ServiceSnapshot{}.FindInstance("a") == nullptr);
}

TEST_CASE("RegistryView::Find looks in the service's shard", "[registry]") {
  RegistryView view;
  CHECK(view.Find("web") == nullptr);  // shards not yet allocated
  auto shard = std::make_shared<RegistryView::Shard>();
  auto snap = std::make_shared<ServiceSnapshot>();
  snap->name = "web";
  (*shard)["web"] = snap;
  view.shards[RegistryView::ShardOf("web")] = shard;
  CHECK(view.Find("web") == snap.get());
  CHECK(view.Find("api") == nullptr);
  CHECK(RegistryView::ShardOf("web") < RegistryView::kShards);
}
