// Publish() and the read view handed to DNS workers.
#include <catch2/catch.hpp>
#include <set>

#include "registry/registry.h"
#include "tests/registry/registry_test_util.h"
#include "tests/support/fake_clock.h"

using namespace registry;
using namespace std::chrono_literals;
using dnsd::testing::FakeClock;
using dnsd::testing::Spec;

TEST_CASE("changes are invisible to readers until Publish", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  const auto empty = reg.view().Load();
  CHECK(empty->loaded());
  CHECK(empty->index() == 1);
  REQUIRE(reg.Register(Spec("web", "web-1", 10s)).ok());
  CHECK(reg.view().Load()->Find("web") == nullptr);
  reg.Publish();
  const auto view = reg.view().Load();
  const ServiceSnapshot* web = view->Find("web");
  REQUIRE(web);
  CHECK(web->name == "web");
  CHECK(web->index == 2);
  CHECK(view->index() == 2);
  CHECK(view->generation() == empty->generation() + 1);
  REQUIRE(web->FindInstance("web-1"));
  CHECK(web->FindInstance("web-1")->health == Health::kPassing);
}

TEST_CASE("Publish with nothing changed publishes nothing", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  REQUIRE(reg.Register(Spec("web", "web-1", 10s)).ok());
  reg.Publish();
  const auto first = reg.view().Load();
  reg.Publish();
  CHECK(reg.view().Load() == first);
  REQUIRE(reg.Heartbeat("web", "web-1").ok());  // renewal only: nothing dirty
  reg.Tick();
  reg.Publish();
  CHECK(reg.view().Load() == first);
}

TEST_CASE("Publish copies only the path to a changed service and shares the rest", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  constexpr int kServices = 2000;
  for (int i = 0; i < kServices; ++i)
    REQUIRE(reg.Register(Spec("svc" + std::to_string(i), "x")).ok());
  reg.Publish();
  const auto before = reg.view().Load();
  const std::string a = "svc17";
  REQUIRE(reg.SetStatus(a, "x", Health::kWarning).ok());
  reg.Publish();
  const auto after = reg.view().Load();
  int unshared = 0;
  for (int i = 0; i < kServices; ++i) {  // every other snapshot is shared
    const std::string name = "svc" + std::to_string(i);
    if (name != a) unshared += after->Find(name) != before->Find(name);
  }
  CHECK(unshared == 0);
  CHECK(after->Find(a) != before->Find(a));
  const std::vector<const void*> old_nodes = before->Nodes(), new_nodes = after->Nodes();
  const std::set<const void*> old_set(old_nodes.begin(), old_nodes.end());
  size_t copied = 0;
  for (const void* n : new_nodes) copied += old_set.count(n) == 0;
  CHECK(copied == static_cast<size_t>(after->Depth(a, RegistryView::Hash(a))));
  CHECK(new_nodes.size() == old_nodes.size());
  // The old view is immutable: it still shows the old state.
  CHECK(before->Find(a)->FindInstance("x")->health == Health::kPassing);
  CHECK(after->Find(a)->FindInstance("x")->health == Health::kWarning);
  CHECK(after->size() == kServices);
}

TEST_CASE("snapshots list instances sorted by id; removed services are dropped", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  for (const char* id : {"c", "A", "b"}) REQUIRE(reg.Register(Spec("web", id)).ok());
  REQUIRE(reg.Register(Spec("api", "x")).ok());
  reg.Publish();
  auto view = reg.view().Load();
  const ServiceSnapshot* web = view->Find("web");
  REQUIRE(web);
  REQUIRE(web->instances.size() == 3);
  CHECK(web->instances[0].id == "a");
  CHECK(web->instances[1].id == "b");
  CHECK(web->instances[2].id == "c");
  REQUIRE(reg.Deregister("api", "x").ok());
  REQUIRE(reg.Deregister("web", "b").ok());
  reg.Publish();
  view = reg.view().Load();
  CHECK(view->Find("api") == nullptr);
  CHECK(view->Find("web")->instances.size() == 2);
  CHECK(view->index() == reg.index());
  // Removed and re-created before a Publish: the new one is published.
  REQUIRE(reg.Deregister("web", "a").ok());
  REQUIRE(reg.Deregister("web", "c").ok());
  REQUIRE(reg.Register(Spec("web", "d")).ok());
  reg.Publish();
  REQUIRE(reg.view().Load()->Find("web"));
  CHECK(reg.view().Load()->Find("web")->instances.size() == 1);
}

TEST_CASE("a Reader sees each new version and keeps its value alive", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  Published<RegistryView>::Reader reader(reg.view());
  const uint64_t g0 = reader.Get().generation();
  REQUIRE(reg.Register(Spec("web", "web-1", 10s)).ok());
  CHECK(reader.Get().generation() == g0);
  reg.Publish();
  const RegistryView& v1 = reader.Get();
  CHECK(v1.generation() == g0 + 1);
  REQUIRE(v1.Find("web"));
  clock.Advance(10s);
  reg.Tick();
  reg.Publish();
  CHECK(v1.Find("web")->instances[0].health == Health::kPassing);  // still alive, unchanged
  const RegistryView& v2 = reader.Get();
  CHECK(v2.generation() == g0 + 2);
  CHECK(v2.Find("web")->instances[0].health == Health::kCritical);
}
