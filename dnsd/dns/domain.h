// Names inside the service domain D (SPEC §2): what a name means (ClassifyDomainName, a
// pure function of the name and the registry view) and how it is answered, merged with
// static records that zones place inside D.
#pragma once

#include <cstddef>

#include "dnsd/dns/order.h"
#include "dnsd/dns/response.h"
#include "dnsd/wire/wire.h"
#include "registry/snapshot.h"

namespace dnsd::dns {

enum class DomainNameKind : uint8_t {
  kNone,              // not one of the forms, or nothing registered matches: NXDOMAIN
  kApex,              // D
  kNameServer,        // ns.D
  kEmptyNonTerminal,  // service.D, instance.D, <svc>.instance.D, _<proto|tag>.service.D
  kService,           // <svc>.service.D, <tag>.<svc>.service.D, _<svc>._<proto>.service.D
  kInstance,          // <id>.<svc>.instance.D
};

struct DomainName {
  DomainNameKind kind = DomainNameKind::kNone;
  const registry::ServiceSnapshot* service = nullptr;
  const registry::Instance* instance = nullptr;
  InstanceFilter filter;  // kService; tag points into the classified Name
};

// labels_above: how many labels of name lie left of D. A name exists when at least one
// registered instance (any health) matches it, or, for an empty non-terminal, when a name
// below it exists (RFC 8020; docs/NAMING.md). service.D and instance.D always exist.
// With a datacenter, <svc>.service.<dc>.D and <tag>.<svc>.service.<dc>.D mean what they
// mean without <dc> (Consul's form, SPEC §2); <dc>.D and service.<dc>.D exist.
DomainName ClassifyDomainName(const wire::Name& name, size_t labels_above,
                              const registry::RegistryView& view,
                              std::string_view datacenter = {});

// Answers one name at or below D (one step of a CNAME chain).
StepResult AnswerInDomain(QueryContext& ctx, const wire::Name& name, size_t labels_above,
                          const Owner& owner);

// The SOA of D for the authority section of a negative answer.
bool WriteDomainSoa(QueryContext& ctx);

}  // namespace dnsd::dns
