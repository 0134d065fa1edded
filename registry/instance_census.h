// InstanceCensus: which protocols and tags the instances of a ViewWriter's services carry
// (any health), counted as services are put and erased, so that a view answers "does any
// instance have tag t?" with one lookup. DNS needs it for names that exist only because
// a name below them does (SPEC §2, RFC 8020: `_tcp.service.D` exists iff some instance
// has proto tcp, `_<tag>.service.D` iff some instance carries the tag).
//
// The tags are published as a RegistryView of their own (one empty snapshot per tag), so
// a new tag costs a path copy, not a copy of every tag. Internal to registry/: owned by
// one ViewWriter and used on its thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "registry/snapshot.h"

namespace registry::view_internal {

class InstanceCensus {
 public:
  InstanceCensus();
  ~InstanceCensus();
  InstanceCensus(const InstanceCensus&) = delete;
  InstanceCensus& operator=(const InstanceCensus&) = delete;

  // A service changed from old to next (nullptr: absent before / after). Walks both
  // instance lists (sorted by id) once; only instances whose proto or tags changed touch
  // the counts.
  void Change(const ServiceSnapshot* old, const ServiceSnapshot* next);

  // Bit p set when some instance has Proto p.
  uint8_t protos() const;
  // The tags carried now; a new view only when a tag came or went since the last call.
  std::shared_ptr<const RegistryView> PublishTags();
  void Reclaim() { tag_writer_.Reclaim(); }

 private:
  void Count(const Instance& instance, int delta);

  std::array<size_t, 2> protos_{};
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> tags_;
  ViewWriter tag_writer_{ViewWriter::NoCensus{}};
  bool tags_changed_ = true;
  std::shared_ptr<const RegistryView> tag_view_;
};

}  // namespace registry::view_internal
