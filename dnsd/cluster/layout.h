// The cluster's data in etcd (docs/DESIGN.md, "Cluster mode"): key layout under
// cluster.prefix, the JSON value of an instance, and base64 (the JSON gateway's encoding
// of keys and values). Pure functions, no I/O.
//
//   <prefix>instances/<service>/<id>  -> InstanceValue JSON, attached to its owner's lease
//   <prefix>nodes/<node>              -> {"node": "<node>"}, attached to that replica's lease
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/instance.h"
#include "registry/result.h"

namespace dnsd::cluster {

std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

// The first key after every key that starts with prefix (etcd's range_end for a prefix).
std::string PrefixEnd(std::string_view prefix);

std::string InstanceKey(std::string_view prefix, std::string_view service, std::string_view id);
std::string NodeKey(std::string_view prefix, std::string_view node);

// What a key under the prefix names.
struct ParsedKey {
  enum class Kind { kInstance, kNode, kOther } kind = Kind::kOther;
  std::string service;  // kInstance
  std::string id;       // kInstance
  std::string node;     // kNode
};
ParsedKey ParseKey(std::string_view prefix, std::string_view key);

// An instance as stored: its data, health and note, its checks (spec and last result:
// the owner runs them, the others show what it wrote), and the replica that owns it. The
// index is not stored: it is the key's mod_revision. Lease and TTL-check deadlines are
// not stored either: they live in the owner's memory.
struct InstanceValue {
  registry::Instance instance;
  std::string owner;
};

std::string EncodeValue(const registry::Instance& instance, std::string_view owner);
// The value, or why the bytes are not one (JSON, a missing field, a bad value).
registry::Result<InstanceValue> DecodeValue(std::string_view json);

// The instance a registration makes (SPEC §3), before it is written: the data of spec
// (validated already), health passing unless previous was in maintenance, the previous
// note kept, and the checks' last results where their specs did not change.
registry::Instance FromSpec(const registry::InstanceSpec& spec,
                            registry::Duration default_deregister_after,
                            const registry::Instance* previous);

}  // namespace dnsd::cluster
