// Internal to dnsd/http: how the Consul API (consul_api.cc) reads instances back as a
// Consul client registered them, and Consul's JSON shapes. What a Consul client gave that
// a DNS registry cannot hold as such (a Name or ID that is not a DNS label, tags that are
// not, a custom CheckID) is kept in reserved meta keys ("consul-name", "consul-id",
// "consul-tags", "consul-check-id", "consul-check-name"), hidden from Consul's Meta.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dnsd/http/handlers.h"
#include "dnsd/http/router.h"
#include "registry/registry.h"

namespace dnsd::http::consul {

using internal::Json;

inline constexpr std::string_view kMetaName = "consul-name";
inline constexpr std::string_view kMetaId = "consul-id";
inline constexpr std::string_view kMetaTags = "consul-tags";
inline constexpr std::string_view kMetaCheck = "consul-check-id";
inline constexpr std::string_view kMetaCheckName = "consul-check-name";

struct ConsulView {
  std::string name, id, check_id, check_name;
  Json tags, meta;  // every tag as registered; meta without the reserved keys
};
ConsulView ViewOf(const registry::Instance& in);
std::string_view ConsulStatus(registry::Health h);  // maintenance reads "critical"

using internal::Params;
using internal::ParseParams;

// JSON answers with X-Consul-Index (at least 1), X-Consul-KnownLeader, X-Consul-LastContact.
HttpResponse ConsulJson(int status, const Json& body, uint64_t index);
HttpResponse ConsulError(int status, std::string_view message, std::string_view field,
                         uint64_t index);

Json NodeJson(const RouterOptions& o);
Json AgentServiceJson(const registry::Instance& in, const ConsulView& v, const RouterOptions& o);
Json ChecksJson(const registry::Instance& in, const ConsulView& v, const RouterOptions& o);
bool HasAllTags(const ConsulView& v, const Params& p);  // every ?tag= is among the tags

// The instance of a Consul service ID (unique across services, as on a Consul agent), and
// of a check id. Linear in the services (and, for a custom CheckID, the instances).
const registry::Instance* FindById(const registry::Registry& registry, std::string_view id);
// The instance holding the check of that id, and in *n which of its checks it is:
// kLeaseCheck for the lease's (the first TTL check), else the registry check's number.
inline constexpr size_t kLeaseCheck = static_cast<size_t>(-1);
const registry::Instance* FindByCheck(const registry::Registry& registry, std::string_view check,
                                      size_t* n = nullptr);

// The read endpoints (consul_reads.cc): the answer, a BlockingQuery when ?index=N asks to
// wait and may_block is set, or a JSON 404/405.
HttpResponse ConsulRead(const HttpRequest& request, const registry::Registry& registry,
                        const RouterOptions& options, bool may_block);

}  // namespace dnsd::http::consul
