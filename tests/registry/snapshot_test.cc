// ServiceSnapshot, and the persistent hash trie behind RegistryView / ViewWriter.
#include "registry/snapshot.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "registry/published.h"

using namespace registry;

namespace {

Instance Make(std::string id) {
  Instance i;
  i.service = "web";
  i.id = std::move(id);
  return i;
}

ServiceSnapshot Snap(std::string name, uint64_t index) {
  ServiceSnapshot s;
  s.name = std::move(name);
  s.index = index;
  return s;
}

std::string Name(int i) { return "svc-" + std::to_string(i); }

std::set<const void*> NodeSet(const RegistryView& v) {
  const std::vector<const void*> nodes = v.Nodes();
  return {nodes.begin(), nodes.end()};
}

size_t CountMissing(const std::set<const void*>& of, const std::set<const void*>& in) {
  return std::count_if(of.begin(), of.end(), [&](const void* n) { return !in.count(n); });
}

// name -> index: what a view should hold.
using Reference = std::map<std::string, uint64_t>;

// Every name of the pool is found with the right index, or not found; size and ForEach
// agree. Returns the first mismatch, empty when none (one assertion per view keeps the
// test fast under sanitizers).
std::string Mismatch(const RegistryView& view, const Reference& ref, int pool) {
  for (int i = 0; i < pool; ++i) {
    const std::string name = Name(i);
    const ServiceSnapshot* s = view.Find(name);
    auto it = ref.find(name);
    if (it == ref.end() ? s != nullptr : !s || s->name != name || s->index != it->second) {
      return name;
    }
  }
  if (view.size() != ref.size()) return "size";
  Reference seen;
  view.ForEach([&](const ServiceSnapshot& s) { seen.emplace(s.name, s.index); });
  return seen == ref ? "" : "ForEach";
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

TEST_CASE("empty views find nothing", "[registry]") {
  const RegistryView empty;
  CHECK(empty.Find("web") == nullptr);
  CHECK(empty.size() == 0);
  CHECK(empty.Nodes().empty());
  ViewWriter writer;
  const auto v0 = writer.Publish(true, 1);
  CHECK(v0->Find("web") == nullptr);
  CHECK(v0->generation() == 0);
  CHECK(v0->loaded());
  CHECK(v0->index() == 1);
  writer.Put(Snap("web", 2));
  CHECK(writer.Erase("web"));
  CHECK_FALSE(writer.Erase("web"));
  const auto v1 = writer.Publish(false, 3);
  CHECK(v1->Find("web") == nullptr);
  CHECK(v1->generation() == 1);
  CHECK_FALSE(v1->loaded());
}

TEST_CASE("a change copies only the path to its entry and shares the rest", "[registry]") {
  constexpr int kServices = 8000;
  ViewWriter writer;
  for (int i = 0; i < kServices; ++i) writer.Put(Snap(Name(i), 1));
  const auto before = writer.Publish(true, 1);

  const std::string changed = Name(1234);
  const uint64_t hash = RegistryView::Hash(changed);
  struct Case {
    const char* what;
    std::function<void()> change;
    int size_delta;
  };
  const Case cases[] = {
      {"replace", [&] { writer.Put(Snap(changed, 2)); }, 0},
      {"insert", [&] { writer.Put(Snap("new-service", 2)); }, 1},
      {"erase", [&] { REQUIRE(writer.Erase(changed)); }, -1},
  };
  for (const Case& c : cases) {
    SECTION(c.what) {
      c.change();
      const auto after = writer.Publish(true, 2);
      REQUIRE(after->size() == static_cast<size_t>(kServices + c.size_delta));
      const auto old_nodes = NodeSet(*before), new_nodes = NodeSet(*after);
      const std::string name = std::string(c.what) == "insert" ? "new-service" : changed;
      const uint64_t h = RegistryView::Hash(name);
      // At most the nodes of one path differ (a removal or insertion may also shorten
      // or lengthen the path by its last nodes).
      const int path = std::max(before->Depth(name, h), after->Depth(name, h));
      CHECK(path <= 5);
      CHECK(CountMissing(new_nodes, old_nodes) <= static_cast<size_t>(path));
      CHECK(CountMissing(old_nodes, new_nodes) <= static_cast<size_t>(path));
      CHECK(CountMissing(new_nodes, old_nodes) >= 1);
      // Every other service's snapshot is the same object.
      int unshared = 0;
      for (int i = 0; i < kServices; ++i) {
        if (Name(i) != changed) unshared += after->Find(Name(i)) != before->Find(Name(i));
      }
      CHECK(unshared == 0);
      // The old view is unchanged.
      REQUIRE(before->Find(changed, hash));
      CHECK(before->Find(changed, hash)->index == 1);
      CHECK(before->Find("new-service") == nullptr);
      CHECK(before->size() == kServices);
    }
  }
  SECTION("replace: exactly the path is copied") {
    writer.Put(Snap(changed, 2));
    const auto after = writer.Publish(true, 2);
    const auto old_nodes = NodeSet(*before), new_nodes = NodeSet(*after);
    CHECK(CountMissing(new_nodes, old_nodes) == static_cast<size_t>(after->Depth(changed, hash)));
    CHECK(new_nodes.size() == old_nodes.size());
    CHECK(after->Find(changed)->index == 2);
    CHECK(before->Find(changed)->index == 1);
  }
}

TEST_CASE("lookups match a reference map after random inserts and removals; old views stay",
          "[registry]") {
  constexpr int kPool = 1500;
  std::mt19937 rng(12345);
  ViewWriter writer;
  Reference ref;
  // Views a reader keeps, with what they held when published.
  std::vector<std::pair<std::shared_ptr<const RegistryView>, Reference>> held;
  uint64_t index = 1;
  for (int round = 0; round < 40; ++round) {
    const int ops = 1 + static_cast<int>(rng() % 200);
    for (int op = 0; op < ops; ++op) {
      const std::string name = Name(static_cast<int>(rng() % kPool));
      if (rng() % 3 == 0) {
        CHECK(writer.Erase(name) == (ref.erase(name) == 1));
      } else {
        ++index;
        writer.Put(Snap(name, index));
        ref[name] = index;
      }
    }
    const auto view = writer.Publish(true, index);
    REQUIRE(Mismatch(*view, ref, kPool).empty());
    if (round % 7 == 0) held.emplace_back(view, ref);
  }
  for (const auto& [view, expected] : held) CHECK(Mismatch(*view, expected, kPool).empty());
  // Removing everything empties the trie and frees every node once the views are gone.
  int erased = 0;
  for (const auto& [name, i] : ref) erased += writer.Erase(name);
  CHECK(erased == static_cast<int>(ref.size()));
  held.clear();
  const auto last = writer.Publish(true, index);
  CHECK(last->size() == 0);
  CHECK(last->Nodes().empty());
  writer.Reclaim();
  CHECK(writer.counts().nodes == 0);
  CHECK(writer.counts().snapshots == 0);
}

TEST_CASE("the trie's shape depends only on its contents", "[registry]") {
  // Removals pull lone entries back up, so a trie built through many changes has the
  // nodes of one built straight from the final set.
  std::mt19937 rng(7);
  ViewWriter churned;
  std::set<std::string> names;
  for (int op = 0; op < 20'000; ++op) {
    const std::string name = Name(static_cast<int>(rng() % 5000));
    if (rng() % 2) {
      churned.Erase(name);
      names.erase(name);
    } else {
      churned.Put(Snap(name, 1));
      names.insert(name);
    }
  }
  ViewWriter fresh;
  for (const std::string& name : names) fresh.Put(Snap(name, 1));
  const auto a = churned.Publish(true, 1), b = fresh.Publish(true, 1);
  CHECK(a->size() == names.size());
  CHECK(a->Nodes().size() == b->Nodes().size());
  int differ = 0;
  for (const std::string& name : names) {
    const uint64_t h = RegistryView::Hash(name);
    differ += a->Depth(name, h) != b->Depth(name, h);
  }
  CHECK(differ == 0);
}

TEST_CASE("names whose hashes collide in some or all bits are kept apart", "[registry]") {
  // Hashes are forced: equal in all 64 bits; equal but for bits that only the deepest
  // sparse level (bits 58-63) or the one above it (52-57) reads; or differing in the
  // first sparse level (bits 16-21).
  const uint64_t base = 0x0123'4567'89ab'cdefULL;
  const std::vector<std::pair<std::string, uint64_t>> keys = {
      {"a", base},
      {"b", base},
      {"c", base},
      {"d", base ^ (1ULL << 63)},
      {"e", base ^ (1ULL << 58)},
      {"f", base ^ (1ULL << 16)},
      {"g", base ^ (1ULL << 57)},
  };
  ViewWriter writer;
  std::map<std::string, uint64_t> present;
  auto check = [&](const RegistryView& v) {
    for (const auto& [name, hash] : keys) {
      const ServiceSnapshot* s = v.Find(name, hash);
      REQUIRE((s != nullptr) == (present.count(name) == 1));
      if (s) REQUIRE(s->index == present[name]);
    }
  };
  uint64_t index = 0;
  for (const auto& [name, hash] : keys) {
    writer.Put(Snap(name, ++index), hash);
    present[name] = index;
    check(*writer.Publish(true, index));
  }
  {
    const auto full = writer.Publish(true, index);
    // 2 dense levels, 8 sparse ones, then the collision node.
    CHECK(full->Depth("a", base) == 11);
    CHECK(full->Depth("f", base ^ (1ULL << 16)) == 3);
  }
  writer.Put(Snap("b", 100), base);  // replace inside the collision node
  present["b"] = 100;
  check(*writer.Publish(true, index));
  for (const char* name : {"b", "a", "d", "f", "c", "e", "g"}) {
    const uint64_t hash = std::find_if(keys.begin(), keys.end(), [&](const auto& k) {
                            return k.first == name;
                          })->second;
    REQUIRE(writer.Erase(name, hash));
    REQUIRE_FALSE(writer.Erase(name, hash));
    present.erase(name);
    const auto v = writer.Publish(true, index);
    check(*v);
    // The last one is pulled up to the subtrie's top: root, middle node and that.
    if (present.size() == 1) CHECK(v->Nodes().size() == 3);
  }
  writer.Reclaim();
  CHECK(writer.counts().nodes == 0);
  CHECK(writer.counts().snapshots == 0);
}

TEST_CASE("replaced nodes are kept while a view may reach them, then freed", "[registry]") {
  ViewWriter writer;
  for (int i = 0; i < 5000; ++i) writer.Put(Snap(Name(i), 1));
  auto old = writer.Publish(true, 1);
  const size_t old_nodes = old->Nodes().size();
  std::shared_ptr<const RegistryView> current;
  // One service changes again and again while an idle reader holds `old`: only what
  // `old` reaches is kept (its path and that service's first snapshot), not every
  // intermediate version.
  for (int i = 0; i < 1000; ++i) {
    writer.Put(Snap(Name(42), 2 + i));
    current = writer.Publish(true, 2 + i);
  }
  writer.Reclaim();
  const ViewWriter::Counts held = writer.counts();
  CHECK(held.kept_snapshots == 1);
  CHECK(held.kept_nodes >= 1);
  CHECK(held.kept_nodes <= static_cast<size_t>(old->Depth(Name(42), RegistryView::Hash(Name(42)))));
  CHECK(old->Find(Name(42))->index == 1);
  CHECK(current->Find(Name(42))->index == 1001);
  CHECK(old->Nodes().size() == old_nodes);
  // Once `old` is released, nothing but the current trie remains.
  old.reset();
  writer.Reclaim();
  const ViewWriter::Counts after = writer.counts();
  CHECK(after.kept_nodes == 0);
  CHECK(after.kept_snapshots == 0);
  CHECK(after.nodes == current->Nodes().size());
  CHECK(after.snapshots == 5000);
}

TEST_CASE("a view outlives its writer", "[registry]") {
  std::shared_ptr<const RegistryView> view;
  {
    ViewWriter writer;
    writer.Put(Snap("web", 7));
    view = writer.Publish(true, 7);
    writer.Put(Snap("web", 8));
    writer.Publish(true, 8);
  }
  REQUIRE(view->Find("web"));
  CHECK(view->Find("web")->index == 7);
}

TEST_CASE("readers on another thread see consistent views while the writer publishes",
          "[registry]") {
  // Every view holds services svc-0..svc-63 with the same index, the view's index.
  ViewWriter writer;
  auto publish = [&](uint64_t index) {
    for (int i = 0; i < 64; ++i) writer.Put(Snap(Name(i), index));
    return writer.Publish(true, index);
  };
  Published<RegistryView> published(publish(1));
  constexpr uint64_t kPublishes = 300;
  std::atomic<bool> bad{false};
  std::thread reader([&] {
    Published<RegistryView>::Reader r(published);
    for (int n = 0; n < 200'000 && r.Get().index() < kPublishes; ++n) {
      const RegistryView& v = r.Get();
      for (int i = 0; i < 64; i += 7) {
        const ServiceSnapshot* s = v.Find(Name(i));
        if (!s || s->index != v.index()) bad = true;
      }
    }
  });
  for (uint64_t index = 2; index <= kPublishes; ++index) {
    published.Publish(publish(index));
    writer.Reclaim();
  }
  reader.join();
  CHECK_FALSE(bad);
}
