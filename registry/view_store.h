// Internals of RegistryView and ViewWriter (snapshot.h): the hash trie's node layout and
// the store that owns every node and snapshot. Reads are in snapshot.cc, writes and
// reclamation in registry_publish.cc. Not for use outside registry/.
//
// Layout: a name's 64-bit hash picks a slot in the 256-way root (bits 0-7), then in a
// 256-way middle node (bits 8-15): dense arrays, so these two steps cost one load each
// and stay in cache (the middle level is 512 KiB when full). The slot holds a sparse
// subtrie: CHAMP nodes that use 6 more bits per level (16-21, 22-27, ... 58-63), then
// collision nodes for names whose hashes are equal in all 64 bits.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/snapshot.h"

namespace registry::view_internal {

constexpr unsigned kDenseSlots = 256;
constexpr unsigned kFirstShift = 16;  // the sparse levels start here
constexpr unsigned kBits = 6;         // 64-way sparse nodes
constexpr unsigned kLastShift = 58;   // deeper nodes list entries of equal hashes

inline unsigned RootSlot(uint64_t hash) { return hash & 0xff; }
inline unsigned MidSlot(uint64_t hash) { return (hash >> 8) & 0xff; }
inline uint64_t BitOf(uint64_t hash, unsigned shift) {
  return uint64_t{1} << ((hash >> shift) & 63);
}
inline unsigned IndexOf(uint64_t map, uint64_t bit) { return std::popcount(map & (bit - 1)); }

// A published snapshot and the generation of the first view that contains it.
struct Item {
  ServiceSnapshot snapshot;
  uint64_t born = 0;
};

struct Entry {
  uint64_t hash;  // kept here so that a lookup of another name stops without a cache miss
  const Item* item;
};

// A sparse node: a header followed, in the same allocation, by its entries and then its
// children, each in slot order. A node at depth shift > kLastShift is a collision node:
// datamap is the number of its entries (all of the same hash), and it has no children.
// Below a subtrie's top node, every node holds at least two entries under it.
struct Node {
  uint64_t datamap;  // slots that hold an entry
  uint64_t nodemap;  // slots that hold a child node
  uint64_t born;     // generation of the first view that contains the node

  unsigned entry_count(unsigned shift) const {
    return shift > kLastShift ? static_cast<unsigned>(datamap) : std::popcount(datamap);
  }
  unsigned child_count() const { return std::popcount(nodemap); }
  const Entry* entries() const { return reinterpret_cast<const Entry*>(this + 1); }
  Entry* entries() { return reinterpret_cast<Entry*>(this + 1); }
  const Node* const* children(unsigned shift) const {
    return reinterpret_cast<const Node* const*>(entries() + entry_count(shift));
  }
  const Node** children(unsigned shift) {
    return reinterpret_cast<const Node**>(entries() + entry_count(shift));
  }
};
static_assert(sizeof(Node) % alignof(Entry) == 0 && sizeof(Entry) % alignof(Node*) == 0);

// A dense node: 256 slots, nullptr where empty.
template <typename Child>
struct Dense {
  uint64_t born = 0;
  uint32_t used = 0;  // non-null slots
  std::array<const Child*, kDenseSlots> slots{};
};
using Mid = Dense<Node>;  // slots hold subtries
using Top = Dense<Mid>;   // the root

// The entry of (hash, name) in the trie at root (nullptr when absent) and the number of
// nodes visited to decide. In snapshot.cc; the writer uses it to find what it replaces.
std::pair<const Entry*, int> Lookup(const Top* root, uint64_t hash, std::string_view name);

// All objects of a trie are immutable once in a view; the writer changes in place only
// those born in the generation it has not published yet.
//
// The store owns the objects of a writer's trie and of every view it made. A replaced
// object is kept, filed under the newest live view that may reach it (generation in
// [born, replaced)), until that view is released; then it is filed under the next older
// such view, or freed. The writer thread uses everything but Released(); ~Store runs
// after the writer and the last view are gone and frees all.
class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Any thread: the view of this generation is gone.
  void Released(uint64_t generation) {
    std::lock_guard<std::mutex> lock(mu_);
    released_.push_back(generation);
  }

  // New objects are born in the generation being built (next_generation).
  Node* NewNode(uint64_t datamap, uint64_t nodemap, unsigned entries, unsigned children);
  const Item* NewItem(ServiceSnapshot snapshot);
  template <typename Child>
  Dense<Child>* NewDense() {
    ++counts.nodes;
    auto dense = std::make_unique<Dense<Child>>();
    dense->born = next_generation;
    return dense.release();
  }
  // The object itself when no view has it yet, else a copy (and the object is retired).
  Node* Writable(const Node* node, unsigned shift);
  template <typename Child>
  Dense<Child>* Writable(const Dense<Child>* dense);

  // The object left the trie being built: freed, or kept while a view may reach it.
  template <typename T>
  void Retire(const T* obj) {
    Retire(obj, next_generation);
  }
  // Frees (or files under older live views) what released views kept.
  void Reclaim();

  // Writer state.
  const Top* root = nullptr;
  size_t size = 0;
  uint64_t next_generation = 0;
  std::set<uint64_t> alive;  // generations of views not yet known to be released
  ViewWriter::Counts counts;

 private:
  // Objects kept for one live view, of the four kinds.
  class Kept {
   public:
    template <typename T>
    void Add(const T* obj) {
      if (objs_.empty()) objs_.reserve(8);  // a publish usually retires a path and an item
      objs_.push_back({obj, KindOf(obj)});
    }
    template <typename F>
    void ForEach(F&& f) const {
      for (const Obj& o : objs_) {
        switch (o.kind) {
          case Kind::kItem:
            f(static_cast<const Item*>(o.ptr));
            break;
          case Kind::kNode:
            f(static_cast<const Node*>(o.ptr));
            break;
          case Kind::kMid:
            f(static_cast<const Mid*>(o.ptr));
            break;
          case Kind::kTop:
            f(static_cast<const Top*>(o.ptr));
            break;
        }
      }
    }

   private:
    enum class Kind : uint8_t { kItem, kNode, kMid, kTop };
    static Kind KindOf(const Item*) { return Kind::kItem; }
    static Kind KindOf(const Node*) { return Kind::kNode; }
    static Kind KindOf(const Mid*) { return Kind::kMid; }
    static Kind KindOf(const Top*) { return Kind::kTop; }
    struct Obj {
      const void* ptr;
      Kind kind;
    };
    std::vector<Obj> objs_;
  };

  template <typename T>
  void Retire(const T* obj, uint64_t below) {
    auto it = alive.lower_bound(below);
    if (it != alive.begin() && *std::prev(it) >= obj->born) {
      kept_[*std::prev(it)].Add(obj);
      Count(obj, +1);
    } else {
      Free(obj);
    }
  }
  void Count(const Item*, int delta) { counts.kept_snapshots += delta; }
  template <typename T>
  void Count(const T*, int delta) {
    counts.kept_nodes += delta;
  }
  void Free(const Item* i);
  void Free(const Node* n);
  void Free(const Mid* m);
  void Free(const Top* t);
  void FreeTree(const Node* node, unsigned shift);

  std::map<uint64_t, Kept> kept_;  // by the newest live generation that may reach them
  std::vector<uint64_t> dead_;     // Reclaim's scratch, swapped with released_
  std::mutex mu_;
  std::vector<uint64_t> released_;  // guarded by mu_
};

template <typename Child>
Dense<Child>* Store::Writable(const Dense<Child>* dense) {
  // Not const in truth: the store allocates every object mutable.
  if (dense->born == next_generation) return const_cast<Dense<Child>*>(dense);
  auto copy = std::make_unique<Dense<Child>>(*dense);
  copy->born = next_generation;
  ++counts.nodes;
  Retire(dense);
  return copy.release();
}

}  // namespace registry::view_internal
