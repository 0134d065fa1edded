// RouteUi(): the page's files with their content type, cache and security headers.
#include "dnsd/http/ui.h"

#include <string_view>

#include "dnsd/http/handlers.h"
#include "dnsd/http/ui_assets.h"

namespace dnsd::http {
namespace {

constexpr std::string_view kPrefix = "/ui/";
constexpr std::string_view kPageRoute = "/ui/";
constexpr std::string_view kRootRoute = "/";

// Everything the page loads comes from dnsd itself; no inline script or style, no frames.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The page is revalidated on every load (a new binary may bring new files); the files it
// names carry their hash ("app.js?v=<hash>"), so those requests may be cached for good.
constexpr const char* kRevalidate = "no-cache";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";

const internal::UiAsset* FindAsset(std::string_view name) {
  if (name.empty()) name = "index.html";
  for (const internal::UiAsset& asset : internal::UiAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

HttpResponse Redirect(uint64_t index) {
  HttpResponse r;
  r.status = 302;
  r.body = "see /ui/\n";
  r.content_type = "text/plain; charset=utf-8";
  r.index = index;
  r.headers.emplace_back("Location", "/ui/");
  return r;
}

HttpResponse AssetResponse(const internal::UiAsset& asset, std::string_view query, uint64_t index) {
  HttpResponse r;
  r.body = asset.body;
  r.content_type = asset.content_type;
  r.index = index;
  bool versioned = asset.name != "index.html" && query.size() == asset.hash.size() + 2 &&
                   query.starts_with("v=") && query.substr(2) == asset.hash;
  r.headers.emplace_back("Cache-Control", versioned ? kImmutable : kRevalidate);
  r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

}  // namespace

std::optional<HttpResponse> RouteUi(const HttpRequest& request, uint64_t index) {
  std::string_view path = request.path;
  const bool root = path == "/" || path == "/ui";
  if (!root && !path.starts_with(kPrefix)) return std::nullopt;
  HttpResponse r;
  if (request.method != "GET" && request.method != "HEAD") {
    r = internal::ErrorResponse(
        405, "method " + request.method + " is not allowed here; use GET, HEAD", "", index);
    r.headers.emplace_back("Allow", "GET, HEAD");
  } else if (root) {
    r = Redirect(index);
  } else if (const internal::UiAsset* asset = FindAsset(path.substr(kPrefix.size()))) {
    r = AssetResponse(*asset, request.query, index);
  } else {
    r = internal::ErrorResponse(404, "no such file: " + request.path.substr(0, 200), "", index);
  }
  r.route = path == "/" ? kRootRoute : kPageRoute;
  return r;
}

}  // namespace dnsd::http
