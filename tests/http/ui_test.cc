#include "dnsd/http/ui.h"

#include <catch2/catch.hpp>
#include <string>

#include "dnsd/http/http1_codec.h"
#include "dnsd/http/ui_assets.h"
#include "tests/http/router_fixture.h"

namespace dnsd::http {
namespace {

using testing::Body;
using testing::RouterFixture;

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

const internal::UiAsset& Asset(std::string_view name) {
  for (const internal::UiAsset& a : internal::UiAssets()) {
    if (a.name == name) return a;
  }
  FAIL("no asset " << std::string(name));
  throw std::logic_error("unreachable");
}

TEST_CASE("/ and /ui redirect to /ui/", "[http][ui]") {
  RouterFixture f;
  for (const char* target : {"/", "/ui"}) {
    for (const char* method : {"GET", "HEAD"}) {
      HttpResponse r = f.Call(method, target);
      INFO(method << " " << target);
      CHECK(r.status == 302);
      CHECK(Header(r, "Location") == "/ui/");
      CHECK(r.index == f.registry.index());
    }
  }
  CHECK(f.Get("/").route == "/");
  CHECK(f.Get("/ui").route == "/ui/");
  CHECK(std::string(internal::ReasonPhrase(302)) == "Found");
}

TEST_CASE("the page and its files have their content type and headers", "[http][ui]") {
  RouterFixture f;
  struct Case {
    const char* target;
    const char* type;
    const char* starts;
  };
  const Case cases[] = {
      {"/ui/", "text/html; charset=utf-8", "<!doctype html>"},
      {"/ui/index.html", "text/html; charset=utf-8", "<!doctype html>"},
      {"/ui/app.js", "text/javascript; charset=utf-8", "//"},
      {"/ui/view.js", "text/javascript; charset=utf-8", "//"},
      {"/ui/style.css", "text/css; charset=utf-8", "/*"},
      {"/ui/favicon.svg", "image/svg+xml", "<svg"},
  };
  for (const Case& c : cases) {
    INFO(c.target);
    HttpResponse r = f.Get(c.target);
    CHECK(r.status == 200);
    CHECK(r.content_type == c.type);
    CHECK(r.body.starts_with(c.starts));
    CHECK(r.route == "/ui/");
    CHECK(Header(r, "Cache-Control") == "no-cache");
    CHECK(Header(r, "Content-Security-Policy").starts_with("default-src 'self';"));
    CHECK(Header(r, "X-Content-Type-Options") == "nosniff");
    CHECK(f.Call("HEAD", c.target).body == r.body);  // the server drops a HEAD's body
  }
}

TEST_CASE("the page names its files by hash, and those are cached for good", "[http][ui]") {
  RouterFixture f;
  std::string page = f.Get("/ui/").body;
  for (const char* name : {"app.js", "view.js", "style.css", "favicon.svg"}) {
    const internal::UiAsset& asset = Asset(name);
    INFO(name);
    REQUIRE(asset.hash.size() == 16);
    std::string versioned = std::string(name) + "?v=" + std::string(asset.hash);
    CHECK(page.find("\"" + versioned + "\"") != std::string::npos);
    CHECK(Header(f.Get("/ui/" + versioned), "Cache-Control") ==
          "public, max-age=31536000, immutable");
    // Another version (an old page asking a new binary) must not be cached for good.
    CHECK(Header(f.Get("/ui/" + std::string(name) + "?v=0000000000000000"), "Cache-Control") ==
          "no-cache");
  }
}

TEST_CASE("the page loads nothing from another host", "[http][ui]") {
  for (const internal::UiAsset& asset : internal::UiAssets()) {
    if (asset.name.ends_with(".svg")) continue;  // its xmlns is a name, not a request
    INFO(std::string(asset.name));
    std::string body(asset.body);
    CHECK(body.find("http://") == std::string::npos);
    CHECK(body.find("https://") == std::string::npos);
    CHECK(body.find("@import") == std::string::npos);
    CHECK(body.find("url(") == std::string::npos);
  }
}

TEST_CASE("other UI requests are 404 or 405 and the API is untouched", "[http][ui]") {
  RouterFixture f;
  HttpResponse missing = f.Get("/ui/nope.js");
  CHECK(missing.status == 404);
  CHECK(missing.content_type == kJsonContentType);
  CHECK(Body(missing)["error"].get<std::string>().find("/ui/nope.js") != std::string::npos);
  CHECK(f.Get("/ui/sub/app.js").status == 404);
  for (const char* target : {"/", "/ui/", "/ui/app.js"}) {
    for (const char* method : {"PUT", "POST", "DELETE"}) {
      INFO(method << " " << target);
      HttpResponse r = f.Call(method, target);
      CHECK(r.status == 405);
      CHECK(Header(r, "Allow") == "GET, HEAD");
    }
  }
  CHECK(f.Get("/uix").status == 404);
  CHECK(f.Get("/uix").route == kUnmatchedRoute);
  CHECK(f.Get("/v1/services").status == 200);
}

}  // namespace
}  // namespace dnsd::http
