// The mutating endpoints: register, heartbeat, status, deregister. Each one decodes its
// body completely before touching the registry, so a bad request changes nothing, and
// publishes after a successful change so the next DNS answer sees it.
#include <string>
#include <utility>

#include "dnsd/http/handlers.h"
#include "dnsd/http/request_json.h"

namespace dnsd::http::internal {
namespace {

// Publishes the change and answers with the registry index after it.
HttpResponse Published(registry::Registry& registry, const Json& body) {
  registry.Publish();
  return JsonResponse(200, body, registry.index());
}

// s in lower case: s itself when it has no upper-case letter (the usual case: no copy).
std::string_view Lowered(std::string_view s, std::string& storage) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') {
      storage = registry::ToLower(s);
      return storage;
    }
  }
  return s;
}

}  // namespace

HttpResponse HandleRegister(const HttpRequest& request, std::string_view svc, std::string_view id,
                            registry::Registry& registry) {
  registry::Result<registry::InstanceSpec> spec = ParseRegisterBody(request.body, svc, id);
  if (!spec) return ErrorResponse(spec.error(), registry.index());
  if (!spec->address) {
    if (!request.peer) {
      return ErrorResponse(400, "\"address\" is required: the peer address is unknown", "address",
                           registry.index());
    }
    spec->address = request.peer;
  }
  registry::Result<uint64_t> index = registry.Register(std::move(*spec));
  if (!index) return ErrorResponse(index.error(), registry.index());
  return Published(
      registry,
      {{"service", registry::ToLower(svc)}, {"id", registry::ToLower(id)}, {"index", *index}});
}

HttpResponse HandleHeartbeat(const HttpRequest& request, std::string_view svc, std::string_view id,
                             registry::Registry& registry) {
  registry::Result<HeartbeatBody> body = ParseHeartbeatBody(request.body);
  if (!body) return ErrorResponse(body.error(), registry.index());
  std::string svc_lower;
  std::string id_lower;
  registry::Result<uint64_t> index =
      registry.Heartbeat(Lowered(svc, svc_lower), Lowered(id, id_lower), body->status,
                         std::move(body->note));
  if (!index) return ErrorResponse(index.error(), registry.index());
  return Published(registry, {{"index", *index}});
}

HttpResponse HandleSetStatus(const HttpRequest& request, std::string_view svc, std::string_view id,
                             registry::Registry& registry) {
  registry::Result<StatusBody> body = ParseStatusBody(request.body);
  if (!body) return ErrorResponse(body.error(), registry.index());
  registry::Result<uint64_t> index = registry.SetStatus(
      registry::ToLower(svc), registry::ToLower(id), body->status, std::move(body->note));
  if (!index) return ErrorResponse(index.error(), registry.index());
  return Published(registry,
                   {{"index", *index}, {"status", std::string(HealthName(body->status))}});
}

HttpResponse HandleDeregister(std::string_view svc, std::string_view id,
                              registry::Registry& registry) {
  registry::Result<uint64_t> index =
      registry.Deregister(registry::ToLower(svc), registry::ToLower(id));
  if (!index) return ErrorResponse(index.error(), registry.index());
  return Published(registry, {{"index", *index}});
}

}  // namespace dnsd::http::internal
