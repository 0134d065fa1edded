// Strict decoding of HTTP request bodies (SPEC §4) into registry inputs.
//
// Hostile input is expected: malformed JSON, a body that is not an object, an unknown or
// duplicated field, a wrong type or a bad duration is an Error (kInvalid, naming the field)
// and never an exception. A service/id in the body that differs from the path is kConflict.
// Range checks of the values themselves are left to registry::Validate.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "registry/instance.h"
#include "registry/result.h"

namespace dnsd::http {

inline constexpr int kMaxJsonDepth = 16;

// One JSON object (an empty body is an empty object); malformed JSON, another type at
// the top, a duplicated key or nesting deeper than kMaxJsonDepth is an Error. Every
// front end's body goes through here (the native API, the Consul API).
registry::Result<nlohmann::json> ParseJsonObject(std::string_view body);

// Body of PUT /v1/services/{svc}/instances/{id}. An empty body is an empty object.
// The path's service and id are filled in; address stays unset when the body has none.
registry::Result<registry::InstanceSpec> ParseRegisterBody(std::string_view body,
                                                           std::string_view path_service,
                                                           std::string_view path_id);

struct HeartbeatBody {
  std::optional<registry::Health> status;  // passing or warning
  std::optional<std::string> note;
};
// Body of PUT .../heartbeat; empty means no status change and no note.
registry::Result<HeartbeatBody> ParseHeartbeatBody(std::string_view body);

struct StatusBody {
  registry::Health status = registry::Health::kPassing;
  std::optional<std::string> note;
};
// Body of PUT .../status; "status" is required.
registry::Result<StatusBody> ParseStatusBody(std::string_view body);

}  // namespace dnsd::http
