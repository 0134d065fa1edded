// Reads of the immutable view: lookups in the persistent hash trie (see snapshot.h).
#include "registry/snapshot.h"

#include <algorithm>

#include "registry/view_store.h"

namespace registry {

const Instance* ServiceSnapshot::FindInstance(std::string_view lower_id) const {
  auto it = std::lower_bound(instances.begin(), instances.end(), lower_id,
                             [](const Instance& i, std::string_view id) { return i.id < id; });
  if (it == instances.end() || it->id != lower_id) return nullptr;
  return &*it;
}

// ---- RegistryView: reads ----

using view_internal::BitOf;
using view_internal::Entry;
using view_internal::IndexOf;
using view_internal::kBits;
using view_internal::kFirstShift;
using view_internal::kLastShift;
using view_internal::Lookup;
using view_internal::Mid;
using view_internal::MidSlot;
using view_internal::Node;
using view_internal::RootSlot;
using view_internal::Top;

RegistryView::RegistryView(Key, std::shared_ptr<view_internal::Store> store, const Top* root,
                           size_t size, bool loaded, uint64_t index, uint64_t generation,
                           std::shared_ptr<const RegistryView> tags, uint8_t protos)
    : store_(std::move(store)),
      root_(root),
      size_(size),
      loaded_(loaded),
      index_(index),
      generation_(generation),
      tags_(std::move(tags)),
      protos_(protos) {}

RegistryView::~RegistryView() {
  if (store_) store_->Released(generation_);
}

namespace {

bool Matches(const Entry& e, uint64_t hash, std::string_view name) {
  return e.hash == hash && e.item->snapshot.name == name;
}

}  // namespace

namespace view_internal {

std::pair<const Entry*, int> Lookup(const Top* root, uint64_t hash, std::string_view name) {
  if (!root) return {nullptr, 0};
  const Mid* mid = root->slots[RootSlot(hash)];
  if (!mid) return {nullptr, 1};
  const Node* node = mid->slots[MidSlot(hash)];
  int depth = 2;
  for (unsigned shift = kFirstShift; node; shift += kBits) {
    ++depth;
    if (shift > kLastShift) {
      const Entry* e = node->entries();
      const Entry* end = e + node->entry_count(shift);
      for (; e != end; ++e) {
        if (Matches(*e, hash, name)) return {e, depth};
      }
      break;
    }
    const uint64_t bit = BitOf(hash, shift);
    if (node->datamap & bit) {
      const Entry& e = node->entries()[IndexOf(node->datamap, bit)];
      return {Matches(e, hash, name) ? &e : nullptr, depth};
    }
    if (!(node->nodemap & bit)) break;
    node = node->children(shift)[IndexOf(node->nodemap, bit)];
  }
  return {nullptr, depth};
}

}  // namespace view_internal

namespace {

// Calls f(node, shift) for every sparse node of the trie, parents first.
template <typename F>
void Walk(const Node* node, unsigned shift, F& f) {
  f(node, shift);
  const unsigned nc = node->child_count();
  for (unsigned i = 0; i < nc; ++i) Walk(node->children(shift)[i], shift + kBits, f);
}

template <typename F>
void Walk(const Top* root, F& f) {
  if (!root) return;
  for (const Mid* mid : root->slots) {
    if (!mid) continue;
    for (const Node* sub : mid->slots) {
      if (sub) Walk(sub, kFirstShift, f);
    }
  }
}

}  // namespace

const ServiceSnapshot* RegistryView::Find(std::string_view lower_name, uint64_t hash) const {
  const Entry* e = Lookup(root_, hash, lower_name).first;
  return e ? &e->item->snapshot : nullptr;
}

void RegistryView::ForEach(const std::function<void(const ServiceSnapshot&)>& visit) const {
  auto f = [&visit](const Node* node, unsigned shift) {
    const unsigned ne = node->entry_count(shift);
    for (unsigned i = 0; i < ne; ++i) visit(node->entries()[i].item->snapshot);
  };
  Walk(root_, f);
}

std::vector<const void*> RegistryView::Nodes() const {
  std::vector<const void*> out;
  if (!root_) return out;
  out.push_back(root_);
  for (const Mid* mid : root_->slots) {
    if (mid) out.push_back(mid);
  }
  auto f = [&out](const Node* node, unsigned) { out.push_back(node); };
  Walk(root_, f);
  return out;
}

int RegistryView::Depth(std::string_view lower_name, uint64_t hash) const {
  return Lookup(root_, hash, lower_name).second;
}

}  // namespace registry
