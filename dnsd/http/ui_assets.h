// Internal to dnsd/http: the web page's files (dnsd/http/ui/), compiled into the binary.
// The table is generated at build time (dnsd/http/ui/embed_assets.cmake writes
// ui_assets.cc); its strings have static storage and never change.
#pragma once

#include <span>
#include <string_view>

namespace dnsd::http::internal {

struct UiAsset {
  std::string_view name;          // file name under /ui/, e.g. "app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view hash;          // 16 hex digits of the body's SHA-256
  std::string_view body;
};

// Every asset, index.html included (its references carry "?v=<hash>").
std::span<const UiAsset> UiAssets();

}  // namespace dnsd::http::internal
