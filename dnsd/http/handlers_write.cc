// The mutating endpoints: register, heartbeat, status, deregister. Each one decodes its
// body completely into a registry command and returns it as a PendingWrite; the server
// submits it to the store and answers with AnswerWrite() once the store says it is
// durable. A request that fails to decode never reaches the store.
#include <string>
#include <utility>

#include "dnsd/http/consul_api.h"
#include "dnsd/http/eureka_api.h"
#include "dnsd/http/handlers.h"
#include "dnsd/http/request_json.h"

namespace dnsd::http {
namespace internal {
namespace {

HttpResponse Pending(PendingWrite write) {
  HttpResponse r;
  r.write = std::move(write);
  return r;
}

}  // namespace

HttpResponse HandleRegister(const HttpRequest& request, std::string_view svc, std::string_view id,
                            const registry::Registry& registry) {
  registry::Result<registry::InstanceSpec> spec = ParseRegisterBody(request.body, svc, id);
  if (!spec) return ErrorResponse(spec.error(), registry.index());
  // The registry takes port 0 (no SRV record, for the Consul API); the native API does not.
  if (spec->port < 1 || spec->port > 65535) {
    return ErrorResponse(400, "port must be 1-65535, got " + std::to_string(spec->port), "port",
                         registry.index());
  }
  if (!spec->address) {
    if (!request.peer) {
      return ErrorResponse(400, "\"address\" is required: the peer address is unknown", "address",
                           registry.index());
    }
    spec->address = request.peer;
  }
  return Pending({PendingWrite::Kind::kRegister, registry::ToLower(svc), registry::ToLower(id),
                  registry::Health::kPassing, registry::RegisterCommand{std::move(*spec), {}, {}}});
}

HttpResponse HandleHeartbeat(const HttpRequest& request, std::string_view svc, std::string_view id,
                             const registry::Registry& registry) {
  registry::Result<HeartbeatBody> body = ParseHeartbeatBody(request.body);
  if (!body) return ErrorResponse(body.error(), registry.index());
  std::string service = registry::ToLower(svc);
  std::string instance = registry::ToLower(id);
  registry::HeartbeatCommand cmd{service, instance, body->status, std::move(body->note)};
  return Pending({PendingWrite::Kind::kHeartbeat, std::move(service), std::move(instance),
                  registry::Health::kPassing, std::move(cmd)});
}

HttpResponse HandleSetStatus(const HttpRequest& request, std::string_view svc, std::string_view id,
                             const registry::Registry& registry) {
  registry::Result<StatusBody> body = ParseStatusBody(request.body);
  if (!body) return ErrorResponse(body.error(), registry.index());
  std::string service = registry::ToLower(svc);
  std::string instance = registry::ToLower(id);
  registry::SetStatusCommand cmd{service, instance, body->status, std::move(body->note)};
  return Pending({PendingWrite::Kind::kSetStatus, std::move(service), std::move(instance),
                  body->status, std::move(cmd)});
}

HttpResponse HandleDeregister(std::string_view svc, std::string_view id,
                              const registry::Registry& registry) {
  std::string service = registry::ToLower(svc);
  std::string instance = registry::ToLower(id);
  registry::DeregisterCommand cmd{service, instance};
  return Pending({PendingWrite::Kind::kDeregister, std::move(service), std::move(instance),
                  registry::Health::kPassing, std::move(cmd)});
}

}  // namespace internal

HttpResponse AnswerWrite(const PendingWrite& write, const registry::Result<uint64_t>& result,
                         const registry::Registry& registry) {
  using internal::Json;
  if (write.consul) return AnswerConsulWrite(write, result, registry);
  if (write.eureka) return AnswerEurekaWrite(write, result, registry);
  if (!result) return internal::ErrorResponse(result.error(), registry.index());
  const uint64_t index = *result;
  switch (write.kind) {
    case PendingWrite::Kind::kRegister:
      return internal::JsonResponse(
          200, {{"service", write.service}, {"id", write.id}, {"index", index}}, registry.index());
    case PendingWrite::Kind::kSetStatus:
      return internal::JsonResponse(
          200, {{"index", index}, {"status", std::string(HealthName(write.status))}},
          registry.index());
    case PendingWrite::Kind::kHeartbeat:
    case PendingWrite::Kind::kDeregister:
      break;
  }
  return internal::JsonResponse(200, {{"index", index}}, registry.index());
}

}  // namespace dnsd::http
