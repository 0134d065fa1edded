#include "dnsd/http/blocking_queries.h"

#include <catch2/catch.hpp>

namespace dnsd::http {
namespace {

using namespace std::chrono_literals;

registry::TimePoint At(int seconds) { return registry::TimePoint(std::chrono::seconds(seconds)); }

BlockingQuery Query(const std::string& service, uint64_t index, int deadline_s) {
  return BlockingQuery{service, false, index, At(deadline_s), false, {}, {}};
}

std::vector<BlockingQueries::Id> Ids(const std::vector<BlockingQueries::Waiter>& ws) {
  std::vector<BlockingQueries::Id> out;
  for (const auto& w : ws) out.push_back(w.id);
  return out;
}

TEST_CASE("only a change to the waiter's service past its index wakes it", "[http][blocking]") {
  BlockingQueries q;
  auto web = q.Add(Query("web", 5, 100), nullptr);
  auto web_later = q.Add(Query("web", 9, 100), nullptr);
  auto api = q.Add(Query("api", 5, 100), nullptr);
  CHECK_FALSE(q.OnChange("db", 50));
  CHECK_FALSE(q.OnChange("web", 5));  // not past 5
  CHECK(q.OnChange("web", 7));
  CHECK(q.HasReady());
  CHECK(Ids(q.TakeReady()) == std::vector{web});
  CHECK(q.size() == 2);
  CHECK(q.OnChange("web", 10));
  CHECK(Ids(q.TakeReady()) == std::vector{web_later});
  CHECK(q.size() == 1);
  CHECK(q.NextDeadline() == At(100));
  CHECK(Ids(q.TakeAll()) == std::vector{api});
  CHECK(q.size() == 0);
}

TEST_CASE("deadlines come out in order and one timer suffices", "[http][blocking]") {
  BlockingQueries q;
  auto late = q.Add(Query("web", 1, 30), nullptr);
  auto early = q.Add(Query("web", 1, 10), nullptr);
  auto mid = q.Add(Query("api", 1, 20), nullptr);
  CHECK(q.NextDeadline() == At(10));
  CHECK(q.TakeExpired(At(9)).empty());
  CHECK(Ids(q.TakeExpired(At(20))) == std::vector{early, mid});
  CHECK(q.NextDeadline() == At(30));
  CHECK(Ids(q.TakeExpired(At(31))) == std::vector{late});
  CHECK_FALSE(q.NextDeadline());
}

TEST_CASE("a removed waiter is never handed out", "[http][blocking]") {
  BlockingQueries q;
  int context = 0;
  auto a = q.Add(Query("web", 1, 10), &context);
  auto b = q.Add(Query("web", 1, 10), &context);
  CHECK(q.Remove(a));
  CHECK_FALSE(q.Remove(a));
  REQUIRE(q.OnChange("web", 2));
  CHECK(q.Remove(b));  // client left after the wake-up, before the answer
  CHECK(q.TakeReady().empty());
  CHECK(q.TakeExpired(At(100)).empty());
  CHECK(q.size() == 0);
}

TEST_CASE("woken waiters leave the deadline order", "[http][blocking]") {
  BlockingQueries q;
  int context = 0;
  q.Add(Query("web", 1, 10), &context);
  REQUIRE(q.OnChange("web", 2));
  CHECK_FALSE(q.NextDeadline());
  CHECK(q.TakeExpired(At(100)).empty());
  auto ready = q.TakeReady();
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].context == &context);
  CHECK(ready[0].query.service == "web");
}

TEST_CASE("ten thousand waiters are cheap to add, wake and expire", "[http][blocking]") {
  BlockingQueries q;
  for (int i = 0; i < 10'000; ++i) {
    q.Add(Query(i % 2 ? "web" : "svc" + std::to_string(i), 1, 10 + i % 50), nullptr);
  }
  REQUIRE(q.OnChange("web", 2));
  CHECK(q.TakeReady().size() == 5'000);
  CHECK(q.TakeExpired(At(1000)).size() == 5'000);
  CHECK(q.size() == 0);
}

}  // namespace
}  // namespace dnsd::http
