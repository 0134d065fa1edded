#include "dnsd/http/registry_feed.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace dnsd::http {
namespace {

std::vector<std::string> Names(const std::optional<std::vector<RegistryFeed::Change>>& changes) {
  std::vector<std::string> out;
  for (const auto& c : *changes) out.emplace_back(c.service);
  return out;
}

TEST_CASE("the feed lists each service once, at its last change, oldest first", "[http][feed]") {
  RegistryFeed feed;
  feed.Touch("api", 2);
  feed.Touch("web", 3);
  feed.Touch("api", 4);
  feed.Touch("db", 5);
  CHECK(Names(feed.ChangedSince(0)) == std::vector<std::string>{"web", "api", "db"});
  CHECK(Names(feed.ChangedSince(3)) == std::vector<std::string>{"api", "db"});
  CHECK(feed.ChangedSince(5)->empty());
  CHECK(feed.ChangedSince(4)->front().index == 5);
  feed.Touch("api", 3);  // an older index never moves a service back
  CHECK(feed.ChangedSince(4)->size() == 1);
  CHECK(feed.size() == 3);
}

TEST_CASE("before a restore's index the feed cannot answer", "[http][feed]") {
  RegistryFeed feed;
  feed.Touch("api", 2);
  feed.Restored();
  CHECK(feed.restore_pending());
  feed.Reset(10);
  CHECK_FALSE(feed.restore_pending());
  CHECK_FALSE(feed.ChangedSince(9).has_value());  // older than what is known: everything
  CHECK(feed.ChangedSince(10)->empty());
  feed.Touch("web", 11);
  CHECK(Names(feed.ChangedSince(10)) == std::vector<std::string>{"web"});
  CHECK(feed.size() == 1);  // what the reset covered is dropped
}

TEST_CASE("tombstones beyond the bound are dropped oldest first, raising the floor",
          "[http][feed]") {
  RegistryFeed feed(2);
  std::set<std::string> live = {"keep"};
  feed.Touch("gone1", 2);
  feed.Touch("keep", 3);
  feed.Touch("gone2", 4);
  feed.Touch("gone3", 5);
  CHECK(feed.NeedsPrune());
  feed.Prune([&](std::string_view s) { return live.count(std::string(s)) != 0; });
  CHECK_FALSE(feed.NeedsPrune());
  CHECK(feed.floor() == 2);
  CHECK(Names(feed.ChangedSince(2)) == std::vector<std::string>{"keep", "gone2", "gone3"});
  CHECK_FALSE(feed.ChangedSince(1).has_value());
}

}  // namespace
}  // namespace dnsd::http
