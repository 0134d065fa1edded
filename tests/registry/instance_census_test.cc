// The census behind RegistryView::AnyInstanceWithProto / AnyInstanceWithTag: it follows
// puts, replacements and erasures, and a published view keeps what it saw.
#include "registry/instance_census.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "registry/snapshot.h"

using namespace registry;

namespace {

Instance Make(std::string id, Proto proto, std::vector<std::string> tags) {
  Instance i;
  i.service = "web";
  i.id = std::move(id);
  i.proto = proto;
  i.tags = std::move(tags);
  return i;
}

ServiceSnapshot Snap(std::string name, std::vector<Instance> instances) {
  ServiceSnapshot s;
  s.name = std::move(name);
  s.instances = std::move(instances);
  return s;
}

}  // namespace

TEST_CASE("an empty view has no protocol and no tag", "[registry]") {
  const RegistryView empty;
  CHECK_FALSE(empty.AnyInstanceWithProto(Proto::kTcp));
  CHECK_FALSE(empty.AnyInstanceWithProto(Proto::kUdp));
  CHECK_FALSE(empty.AnyInstanceWithTag("blue"));
  ViewWriter writer;
  const auto view = writer.Publish(true, 1);
  CHECK_FALSE(view->AnyInstanceWithProto(Proto::kTcp));
  CHECK_FALSE(view->AnyInstanceWithTag("blue"));
}

TEST_CASE("protocols and tags follow puts, replacements and erasures", "[registry]") {
  ViewWriter writer;
  writer.Put(
      Snap("web", {Make("a", Proto::kTcp, {"blue", "canary"}), Make("b", Proto::kTcp, {"blue"})}));
  writer.Put(Snap("dns", {Make("d", Proto::kUdp, {"green"})}));
  const auto first = writer.Publish(true, 1);
  CHECK(first->AnyInstanceWithProto(Proto::kTcp));
  CHECK(first->AnyInstanceWithProto(Proto::kUdp));
  for (const char* tag : {"blue", "canary", "green"}) CHECK(first->AnyInstanceWithTag(tag));
  CHECK_FALSE(first->AnyInstanceWithTag("red"));
  CHECK_FALSE(first->AnyInstanceWithTag("web"));  // a service name is not a tag

  // web-a loses "canary", web-b leaves; "blue" is still carried by web-a.
  writer.Put(Snap("web", {Make("a", Proto::kTcp, {"blue"})}));
  writer.Erase("dns");
  const auto second = writer.Publish(true, 2);
  CHECK(second->AnyInstanceWithTag("blue"));
  CHECK_FALSE(second->AnyInstanceWithTag("canary"));
  CHECK_FALSE(second->AnyInstanceWithTag("green"));
  CHECK_FALSE(second->AnyInstanceWithProto(Proto::kUdp));
  CHECK(second->AnyInstanceWithProto(Proto::kTcp));

  // The first view is immutable: it still has what it had.
  CHECK(first->AnyInstanceWithTag("canary"));
  CHECK(first->AnyInstanceWithTag("green"));
  CHECK(first->AnyInstanceWithProto(Proto::kUdp));

  writer.Put(Snap("web", {Make("a", Proto::kUdp, {})}));
  const auto third = writer.Publish(true, 3);
  CHECK_FALSE(third->AnyInstanceWithProto(Proto::kTcp));
  CHECK(third->AnyInstanceWithProto(Proto::kUdp));
  CHECK_FALSE(third->AnyInstanceWithTag("blue"));
  writer.Erase("web");
  const auto last = writer.Publish(true, 4);
  CHECK_FALSE(last->AnyInstanceWithProto(Proto::kUdp));
}

TEST_CASE("the census matches a recount after random changes", "[registry]") {
  std::mt19937 gen(11);
  ViewWriter writer;
  std::map<std::string, std::vector<Instance>> services;
  const std::vector<std::string> tags = {"t0", "t1", "t2", "t3", "t4", "t5"};
  for (int round = 0; round < 400; ++round) {
    const std::string name = "svc-" + std::to_string(gen() % 8);
    if (gen() % 5 == 0) {
      services.erase(name);
      writer.Erase(name);
    } else {
      std::vector<Instance> list;
      for (int k = 0, n = static_cast<int>(gen() % 4); k < n; ++k) {
        std::vector<std::string> carried;
        for (const std::string& t : tags) {
          if (gen() % 4 == 0) carried.push_back(t);
        }
        list.push_back(
            Make("i" + std::to_string(k), gen() % 2 ? Proto::kTcp : Proto::kUdp, carried));
      }
      services[name] = list;
      writer.Put(Snap(name, list));
    }
    const auto view = writer.Publish(true, static_cast<uint64_t>(round));
    std::set<std::string> want_tags;
    bool tcp = false, udp = false;
    for (const auto& [_, list] : services) {
      for (const Instance& i : list) {
        want_tags.insert(i.tags.begin(), i.tags.end());
        (i.proto == Proto::kTcp ? tcp : udp) = true;
      }
    }
    INFO("round " << round);
    REQUIRE(view->AnyInstanceWithProto(Proto::kTcp) == tcp);
    REQUIRE(view->AnyInstanceWithProto(Proto::kUdp) == udp);
    for (const std::string& t : tags) REQUIRE(view->AnyInstanceWithTag(t) == want_tags.count(t));
  }
}
