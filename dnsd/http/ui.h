// The web page of SPEC §13, part of the pure router: "/" and "/ui" redirect to "/ui/",
// and "/ui/<file>" answers with a file built into the binary (ui_assets.h). The page
// itself only calls the JSON API. Same contract as Route(): no sockets, registry thread.
#pragma once

#include <cstdint>
#include <optional>

#include "dnsd/http/router.h"

namespace dnsd::http {

// The answer for "/", "/ui" and every path under "/ui/"; nullopt for any other path
// (Route() then matches the API). `index` is the registry index, for X-Dnsd-Index.
std::optional<HttpResponse> RouteUi(const HttpRequest& request, uint64_t index);

}  // namespace dnsd::http
