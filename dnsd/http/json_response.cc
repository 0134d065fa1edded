// Response helpers shared by the handlers: JSON bodies and the error shape of SPEC §4.
#include "dnsd/http/handlers.h"

namespace dnsd::http::internal {

int HttpStatusOf(registry::ErrorCode code) {
  switch (code) {
    case registry::ErrorCode::kInvalid:
      return 400;
    case registry::ErrorCode::kNotFound:
      return 404;
    case registry::ErrorCode::kConflict:
      return 409;
    case registry::ErrorCode::kLimit:
      return 429;
    case registry::ErrorCode::kUnavailable:
      return 503;
  }
  return 500;
}

std::string DumpJson(const Json& value) {
  // Echoed input (field names, paths) may hold invalid UTF-8; replace rather than throw.
  std::string out = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}

HttpResponse JsonResponse(int status, const Json& body, uint64_t index) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);
  r.index = index;
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view message, std::string_view field,
                           uint64_t index) {
  Json body = {{"error", std::string(message)}};
  if (!field.empty()) body["field"] = std::string(field);
  return JsonResponse(status, body, index);
}

HttpResponse ErrorResponse(const registry::Error& error, uint64_t index) {
  return ErrorResponse(HttpStatusOf(error.code), error.message, error.field, index);
}

bool IsHealthy(registry::Health health, bool include_warning) {
  return health == registry::Health::kPassing ||
         (include_warning && health == registry::Health::kWarning);
}

}  // namespace dnsd::http::internal
