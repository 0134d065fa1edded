// The read view of the registry handed to DNS worker threads: immutable once published.
//
// A RegistryView maps service name -> ServiceSnapshot through a persistent hash trie keyed
// by the name's 64-bit hash: two dense 256-way levels, then small CHAMP nodes (64-way,
// entries and children packed behind two bitmaps), see registry/view_store.h. Find()
// hashes the name once and usually reads 3 nodes. A ViewWriter changes its trie by path
// copying: a change copies the nodes from the root to the service's entry (3-4) and
// shares every other node and snapshot with the previous views, so publishing one change
// costs a few microseconds at any registry size.
//
// Ownership: nodes and snapshots belong to a store shared (shared_ptr) by the writer and
// every view it made. A node or snapshot that a change replaces is kept until no live
// view can reach it: each view tells the store when it dies, and the writer frees what
// only dead views reached at its next Publish() or Reclaim(). So a reader may keep an old
// view, and every pointer it got from it, valid for as long as it holds the view; there
// is no reference count per node or snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "registry/instance.h"

namespace registry {

// All instances of one service (any health), sorted by id.
struct ServiceSnapshot {
  std::string name;
  uint64_t index = 0;  // index of the service's last change
  std::vector<Instance> instances;

  const Instance* FindInstance(std::string_view lower_id) const;  // binary search
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

namespace view_internal {
struct Node;
template <typename Child>
struct Dense;
using Top = Dense<Dense<Node>>;
class Store;
class InstanceCensus;
}  // namespace view_internal

// An immutable map service name -> snapshot. Any thread may read it; it may be released
// on any thread. Views come from a ViewWriter (or default-construct an empty one).
class RegistryView {
  struct Key {
    explicit Key() = default;
  };  // only ViewWriter constructs non-empty views

 public:
  RegistryView() = default;  // empty and loaded
  RegistryView(Key, std::shared_ptr<view_internal::Store> store, const view_internal::Top* root,
               size_t size, bool loaded, uint64_t index, uint64_t generation,
               std::shared_ptr<const RegistryView> tags = nullptr, uint8_t protos = 0);
  ~RegistryView();  // tells the store that this generation is gone
  RegistryView(const RegistryView&) = delete;
  RegistryView& operator=(const RegistryView&) = delete;

  // name must be lower-case. Returns nullptr for an unknown service. Hashes name once.
  const ServiceSnapshot* Find(std::string_view lower_name) const {
    return Find(lower_name, Hash(lower_name));
  }
  // The same with hash = Hash(lower_name) already computed.
  const ServiceSnapshot* Find(std::string_view lower_name, uint64_t hash) const;

  bool loaded() const { return loaded_; }  // false until the registry's data is loaded
  uint64_t index() const { return index_; }
  uint64_t generation() const { return generation_; }  // bumps on every publish
  size_t size() const { return size_; }                // number of services

  // Whether some instance of some service (any health) has proto p, or carries the tag
  // (lower-case). One lookup: the writer keeps count (registry/instance_census.h).
  bool AnyInstanceWithProto(Proto p) const {
    return (protos_ >> static_cast<unsigned>(p) & 1) != 0;
  }
  bool AnyInstanceWithTag(std::string_view lower_tag) const {
    return tags_ != nullptr && tags_->Find(lower_tag) != nullptr;
  }

  // Calls visit for every service, in hash order (not sorted by name).
  void ForEach(const std::function<void(const ServiceSnapshot&)>& visit) const;

  static uint64_t Hash(std::string_view lower_name) { return StringHash{}(lower_name); }

  // Diagnostics for tests: the trie's nodes (addresses, to compare views' sharing), and
  // the number of nodes Find(lower_name, hash) visits (0 when the view is empty).
  std::vector<const void*> Nodes() const;
  int Depth(std::string_view lower_name, uint64_t hash) const;

 private:
  friend class ViewWriter;
  std::shared_ptr<view_internal::Store> store_;  // keeps root_ and all below it alive
  const view_internal::Top* root_ = nullptr;
  size_t size_ = 0;
  bool loaded_ = true;
  uint64_t index_ = 1;
  uint64_t generation_ = 0;
  std::shared_ptr<const RegistryView> tags_;  // one empty snapshot per tag carried
  uint8_t protos_ = 0;                        // bit Proto p: some instance has it
};

// Builds successive RegistryViews of a changing service map; each new view shares every
// unchanged node and snapshot with the previous ones. Writer thread only (one thread at a
// time); the views it returns may be read and released on any thread, and outlive it.
class ViewWriter {
 public:
  ViewWriter();
  ~ViewWriter();
  ViewWriter(const ViewWriter&) = delete;
  ViewWriter& operator=(const ViewWriter&) = delete;

  // Adds or replaces the service snapshot.name (lower-case); visible from the next Publish.
  void Put(ServiceSnapshot snapshot) {
    const uint64_t hash = RegistryView::Hash(snapshot.name);
    Put(std::move(snapshot), hash);
  }
  // Removes a service; false when it is not there.
  bool Erase(std::string_view lower_name) {
    return Erase(lower_name, RegistryView::Hash(lower_name));
  }
  // The same with the hash given: Hash(name), except in tests that force collisions.
  void Put(ServiceSnapshot snapshot, uint64_t hash);
  bool Erase(std::string_view lower_name, uint64_t hash);

  // A view of every change so far, generation previous + 1 (the first is 0).
  std::shared_ptr<const RegistryView> Publish(bool loaded, uint64_t index);
  // Frees the nodes and snapshots that only released views could reach. Publish() does it
  // too; call it after dropping the previous view to free its garbage at once.
  void Reclaim();

  size_t size() const;  // number of services
  // Objects allocated by the store: in the current trie plus those kept for live views.
  struct Counts {
    size_t nodes = 0;
    size_t snapshots = 0;
    size_t kept_nodes = 0;  // replaced, kept for live views
    size_t kept_snapshots = 0;
  };
  Counts counts() const;

 private:
  friend class view_internal::InstanceCensus;
  struct NoCensus {};
  explicit ViewWriter(NoCensus);  // a census's own writer of tags

  std::shared_ptr<view_internal::Store> store_;
  std::unique_ptr<view_internal::InstanceCensus> census_;  // nullptr in a census's writer
};

}  // namespace registry
