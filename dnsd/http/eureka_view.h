// Internal to dnsd/http: Eureka's InstanceInfo as the Eureka API (eureka_api.cc, SPEC §11,
// docs/EUREKA.md) reads it from a registration body (JSON or XML) and writes it back, and
// how it is kept in a registry instance. What the registry has no field for (the app and
// instance id as given, hostName, the app-reported status and an override, the URLs,
// timestamps...) is kept in reserved meta keys "eureka-*", hidden from Eureka's metadata.
// Pure functions: no registry writes, no clock (times are passed in).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/http/handlers.h"
#include "registry/instance.h"
#include "registry/result.h"

namespace dnsd::http::eureka {

using internal::Json;

enum class Status : uint8_t { kUp, kDown, kStarting, kOutOfService, kUnknown };
std::optional<Status> ParseStatus(std::string_view s);  // exact upper-case names
std::string_view StatusName(Status s);                  // "UP", "OUT_OF_SERVICE", ...
// UP -> passing, OUT_OF_SERVICE -> maintenance, DOWN/STARTING/UNKNOWN -> critical.
registry::Health HealthOf(Status s);
// The status that counts (Eureka's rules): an app that reports anything but UP or
// OUT_OF_SERVICE is taken at its word; otherwise an override (not UNKNOWN) wins.
Status Effective(Status reported, Status overridden);

inline constexpr std::string_view kDefaultDataCenterClass =
    "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo";

// One InstanceInfo, with Eureka's defaults.
struct InstanceInfo {
  std::string app;          // as given
  std::string instance_id;  // as given; empty: hostName is the id
  std::string host_name;
  std::string ip_addr;
  Status status = Status::kUp;
  Status overridden = Status::kUnknown;
  int64_t port = 7001;
  bool port_enabled = true;
  int64_t secure_port = 7002;
  bool secure_port_enabled = false;
  int64_t country_id = 1;
  std::string dc_class = std::string(kDefaultDataCenterClass);
  std::string dc_name = "MyOwn";
  int64_t renewal_interval = 30;
  int64_t duration = 90;
  std::map<std::string, std::string> metadata;
  std::string home_page_url, status_page_url, health_check_url, vip, svip;
  // Milliseconds since the Unix epoch; 0 = none.
  int64_t registration_ts = 0, last_renewal_ts = 0, eviction_ts = 0, service_up_ts = 0;
  int64_t last_updated_ts = 0, last_dirty_ts = 0;
  std::string action_type;  // ADDED / MODIFIED / DELETED in a delta; empty elsewhere

  const std::string& Id() const { return instance_id.empty() ? host_name : instance_id; }
};

// A register body: {"instance":{...}} (JSON) or <instance>...</instance> (XML). Errors name
// the field in Eureka's words ("instance", "app", "ipAddr", "port", "leaseInfo.durationInSecs",
// "metadata.<key>", ...). Unknown fields are ignored, as Eureka's codecs do.
registry::Result<InstanceInfo> ParseInstanceJson(std::string_view body);
registry::Result<InstanceInfo> ParseInstanceXml(std::string_view body);

// The registry's side of an InstanceInfo (SPEC §11): service and id mapped to labels,
// address, port, lease, tags from the VIP addresses, metadata plus the reserved keys.
// Errors name the Eureka field.
registry::Result<registry::InstanceSpec> ToSpec(const InstanceInfo& info);
// An instance read back. One registered through another API gets Eureka's view of it: app
// = the service upper-cased, id and hostName = the instance id, vipAddress = the service.
// now_ms and lease_start_ms (the lease's last renewal, wall clock) fill in leaseInfo.
InstanceInfo FromInstance(const registry::Instance& in, int64_t lease_renewed_ms);
// The status shown: passing and warning UP, maintenance OUT_OF_SERVICE, critical the
// app's DOWN/STARTING/UNKNOWN when it said so, else DOWN (a lapsed lease).
Status ShownStatus(const registry::Instance& in);
// The app status and override kept in an instance's meta (UP and UNKNOWN when absent).
Status ReportedStatus(const registry::Instance& in);
Status OverriddenStatus(const registry::Instance& in);
// The VIP addresses an instance answers to (vipAddress, or secureVipAddress), lower-case.
std::vector<std::string> VipsOf(const registry::Instance& in, bool secure);

inline constexpr std::string_view kMetaPrefix = "eureka-";
inline constexpr std::string_view kMetaStatus = "eureka-status";
inline constexpr std::string_view kMetaOverride = "eureka-override";
inline constexpr std::string_view kMetaRegistered = "eureka-registered";
inline constexpr std::string_view kMetaUp = "eureka-up";

// Eureka's reconcile hashcode: "<STATUS>_<count>_" per status, sorted by status name
// ("DOWN_1_UP_2_"); counts as given.
std::string HashCode(const std::map<std::string, uint64_t, std::less<>>& counts);

// An application: a name and its instances.
struct Application {
  std::string name;
  std::vector<InstanceInfo> instances;
};

// The shapes. JSON: {"applications":{"versions__delta","apps__hashcode","application":[...]}},
// {"application":{"name","instance":[...]}}, {"instance":{...}}; arrays always. XML: the
// same elements, port/securePort's "enabled" and dataCenterInfo's "class" as attributes.
std::string ApplicationsJson(const std::vector<Application>& apps, uint64_t version,
                             std::string_view hashcode);
std::string ApplicationsXml(const std::vector<Application>& apps, uint64_t version,
                            std::string_view hashcode);
std::string ApplicationJson(const Application& app);
std::string ApplicationXml(const Application& app);
std::string InstanceJson(const InstanceInfo& info);
std::string InstanceXml(const InstanceInfo& info);

}  // namespace dnsd::http::eureka
