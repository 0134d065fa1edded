// Fuzz target: the Eureka API's bodies (SPEC §11), JSON and XML. The input is one body,
// given to both decoders (dnsd/http/eureka_view.h), then sent as a registration with each
// Content-Type and to the other writes, through the router and the memory store; then the
// listings are read in both formats. Checks, besides the sanitizers: a decoder never
// throws, a decoded instance whose spec validates is one the registry takes, every JSON
// answer is JSON (HttpWorld) and every XML answer is a well-formed XML document.
#include <pugixml.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

#include "dnsd/http/eureka_delta.h"
#include "dnsd/http/eureka_view.h"
#include "registry/instance.h"
#include "tests/fuzz/http_world.h"

namespace {

struct EurekaWorld : dnsd::fuzz::HttpWorld, registry::RegistryObserver {
  dnsd::http::EurekaDelta delta;
  EurekaWorld() {
    options.eureka = &delta;
    registry.AddObserver(this);
  }
  ~EurekaWorld() override { registry.RemoveObserver(this); }
  void OnRegistryEvent(const registry::RegistryEvent& e) override { delta.OnEvent(e, clock.Now()); }

  dnsd::http::HttpResponse Send(const char* method, const std::string& target,
                                const std::string& body, const char* content_type,
                                const char* accept) {
    dnsd::http::HttpRequest r;
    r.method = method;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    r.content_length = body.size();
    if (content_type) r.content_type = content_type;
    if (accept) r.accept = accept;
    r.peer = registry::IpAddress::Parse("192.0.2.7");
    dnsd::http::HttpResponse response = Call(r);
    if (response.content_type.find("xml") != std::string_view::npos && !response.body.empty()) {
      pugi::xml_document doc;
      if (!doc.load_buffer(response.body.data(), response.body.size())) {
        std::fprintf(stderr, "eureka: %d answer is not XML: %s\n", response.status,
                     response.body.c_str());
        __builtin_trap();
      }
    }
    return response;
  }
};

void TryDecoded(const registry::Result<dnsd::http::eureka::InstanceInfo>& info) {
  if (!info) return;
  registry::Result<registry::InstanceSpec> spec = dnsd::http::eureka::ToSpec(*info);
  if (!spec) return;
  if (!spec->address) spec->address = registry::IpAddress::Parse("192.0.2.7");
  if (!registry::Validate(*spec)) return;
  dnsd::fuzz::HttpWorld world;
  if (!world.registry.Register(*spec)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  TryDecoded(dnsd::http::eureka::ParseInstanceJson(body));
  TryDecoded(dnsd::http::eureka::ParseInstanceXml(body));
  EurekaWorld world;
  const char* json = "application/json";
  const char* xml = "application/xml";
  world.Send("POST", "/eureka/apps/WEB", body, json, json);
  world.Send("POST", "/eureka/v2/apps/ORDERS", body, xml, xml);
  world.Send("PUT", "/eureka/apps/WEB/web-1?status=UP", body, json, json);
  world.Send("PUT", "/eureka/apps/WEB/web-1/status?value=OUT_OF_SERVICE", body, xml, xml);
  world.Send("PUT", "/eureka/apps/WEB/web-1/metadata?k=v", body, json, json);
  world.Advance(std::chrono::seconds(3));
  world.Send("GET", "/eureka/apps", "", nullptr, json);
  world.Send("GET", "/eureka/apps", "", nullptr, xml);
  world.Send("GET", "/eureka/apps/delta", "", nullptr, xml);
  world.Send("GET", "/eureka/vips/web", "", nullptr, json);
  world.Send("DELETE", "/eureka/apps/ORDERS/" + body.substr(0, 64), "", nullptr, json);
  return 0;
}
