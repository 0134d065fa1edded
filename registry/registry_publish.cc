// Publishing: ViewWriter's path-copying changes to the hash trie, the store's deferred
// freeing of replaced nodes and snapshots, and Registry::Publish, which feeds the
// services changed since the last Publish to the writer.
#include <algorithm>

#include "registry/instance_census.h"
#include "registry/registry_impl.h"
#include "registry/view_store.h"

namespace registry {

namespace view_internal {

Store::~Store() {
  if (root) {
    for (const Mid* mid : root->slots) {
      if (!mid) continue;
      for (const Node* sub : mid->slots) FreeTree(sub, kFirstShift);
      Free(mid);
    }
    Free(root);
  }
  for (auto& [generation, kept] : kept_) kept.ForEach([this](const auto* obj) { Free(obj); });
}

Node* Store::NewNode(uint64_t datamap, uint64_t nodemap, unsigned entries, unsigned children) {
  // One block for header, entries and children; freed by Free(const Node*).
  void* raw = ::operator new(sizeof(Node) + entries * sizeof(Entry) + children * sizeof(Node*));
  ++counts.nodes;
  return new (raw) Node{datamap, nodemap, next_generation};
}

const Item* Store::NewItem(ServiceSnapshot snapshot) {
  ++counts.snapshots;
  return std::make_unique<Item>(Item{std::move(snapshot), next_generation}).release();
}

Node* Store::Writable(const Node* node, unsigned shift) {
  // Not const in truth: every node is allocated mutable by NewNode.
  if (node->born == next_generation) return const_cast<Node*>(node);
  const unsigned ne = node->entry_count(shift), nc = node->child_count();
  Node* copy = NewNode(node->datamap, node->nodemap, ne, nc);
  std::copy_n(node->entries(), ne, copy->entries());
  std::copy_n(node->children(shift), nc, copy->children(shift));
  Retire(node);
  return copy;
}

void Store::Reclaim() {
  dead_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_.empty()) return;
    dead_.swap(released_);
  }
  for (uint64_t g : dead_) alive.erase(g);
  for (uint64_t g : dead_) {
    auto it = kept_.find(g);
    if (it == kept_.end()) continue;
    Kept kept = std::move(it->second);
    kept_.erase(it);
    // When they were filed under g, no view newer than g could reach them, so the
    // candidates now are the live views older than g.
    kept.ForEach([this, g](const auto* obj) {
      Count(obj, -1);
      Retire(obj, g);
    });
  }
}

void Store::Free(const Item* i) {
  --counts.snapshots;
  std::unique_ptr<const Item> owned(i);
}

void Store::Free(const Node* n) {
  --counts.nodes;
  ::operator delete(const_cast<Node*>(n));  // Node is trivially destructible
}

void Store::Free(const Mid* m) {
  --counts.nodes;
  std::unique_ptr<const Mid> owned(m);
}

void Store::Free(const Top* t) {
  --counts.nodes;
  std::unique_ptr<const Top> owned(t);
}

// Frees a subtrie of the current trie.
void Store::FreeTree(const Node* node, unsigned shift) {
  if (!node) return;
  const unsigned ne = node->entry_count(shift), nc = node->child_count();
  for (unsigned i = 0; i < ne; ++i) Free(node->entries()[i].item);
  for (unsigned i = 0; i < nc; ++i) FreeTree(node->children(shift)[i], shift + kBits);
  Free(node);
}

namespace {

// A new node made of an old one's entries and children with one entry and/or one child
// left out (skip_*: index in the old node) or put in (put_*: index in the new node).
struct Edit {
  uint64_t datamap = 0;  // of the new node
  uint64_t nodemap = 0;
  int skip_entry = -1;
  int put_entry = -1;
  Entry entry{};
  int skip_child = -1;
  int put_child = -1;
  const Node* child = nullptr;
};

template <typename T>
void CopyEdited(const T* from, unsigned n, int skip, int put, const T& value, T* to) {
  int o = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (static_cast<int>(i) == skip) continue;
    if (o == put) to[o++] = value;
    to[o++] = from[i];
  }
  if (o == put) to[o] = value;
}

// Builds the edited copy and retires the old node.
const Node* Rebuild(Store& s, const Node* node, unsigned shift, const Edit& e) {
  const unsigned ne = node->entry_count(shift), nc = node->child_count();
  const unsigned out_ne = ne - (e.skip_entry >= 0) + (e.put_entry >= 0);
  const unsigned out_nc = nc - (e.skip_child >= 0) + (e.put_child >= 0);
  Node* out = s.NewNode(e.datamap, e.nodemap, out_ne, out_nc);
  CopyEdited(node->entries(), ne, e.skip_entry, e.put_entry, e.entry, out->entries());
  CopyEdited(node->children(shift), nc, e.skip_child, e.put_child, e.child, out->children(shift));
  s.Retire(node);
  return out;
}

int AsInt(unsigned i) { return static_cast<int>(i); }

// A subtrie at depth shift holding exactly the two entries a and b.
const Node* MakePair(Store& s, const Entry& a, const Entry& b, unsigned shift) {
  if (shift > kLastShift) {  // equal hashes
    Node* n = s.NewNode(2, 0, 2, 0);
    n->entries()[0] = a;
    n->entries()[1] = b;
    return n;
  }
  const uint64_t ba = BitOf(a.hash, shift), bb = BitOf(b.hash, shift);
  if (ba == bb) {
    const Node* child = MakePair(s, a, b, shift + kBits);
    Node* n = s.NewNode(0, ba, 0, 1);
    n->children(shift)[0] = child;
    return n;
  }
  Node* n = s.NewNode(ba | bb, 0, 2, 0);
  n->entries()[0] = ba < bb ? a : b;
  n->entries()[1] = ba < bb ? b : a;
  return n;
}

// Entry i of node gets e (same name); the old snapshot is retired.
const Node* Replace(Store& s, const Node* node, unsigned shift, unsigned i, const Entry& e) {
  Node* w = s.Writable(node, shift);
  const Item* old = w->entries()[i].item;
  w->entries()[i] = e;
  s.Retire(old);
  return w;
}

// Puts e into the subtrie at node (depth shift); returns the subtrie's new root.
// added tells whether the name was new.
const Node* Insert(Store& s, const Node* node, unsigned shift, const Entry& e, bool& added) {
  const std::string& name = e.item->snapshot.name;
  added = true;
  if (shift > kLastShift) {
    const unsigned n = node->entry_count(shift);
    for (unsigned i = 0; i < n; ++i) {
      if (node->entries()[i].item->snapshot.name != name) continue;
      added = false;
      return Replace(s, node, shift, i, e);
    }
    return Rebuild(s, node, shift, {.datamap = n + 1, .put_entry = AsInt(n), .entry = e});
  }
  const uint64_t bit = BitOf(e.hash, shift);
  if (node->datamap & bit) {
    const unsigned i = IndexOf(node->datamap, bit);
    const Entry old = node->entries()[i];
    if (old.hash == e.hash && old.item->snapshot.name == name) {
      added = false;
      return Replace(s, node, shift, i, e);
    }
    const Node* child = MakePair(s, old, e, shift + kBits);
    return Rebuild(s, node, shift,
                   {.datamap = node->datamap & ~bit,
                    .nodemap = node->nodemap | bit,
                    .skip_entry = AsInt(i),
                    .put_child = AsInt(IndexOf(node->nodemap, bit)),
                    .child = child});
  }
  if (node->nodemap & bit) {
    const unsigned j = IndexOf(node->nodemap, bit);
    const Node* child = node->children(shift)[j];
    const Node* next = Insert(s, child, shift + kBits, e, added);
    if (next == child) return node;  // changed in place
    Node* w = s.Writable(node, shift);
    w->children(shift)[j] = next;
    return w;
  }
  return Rebuild(s, node, shift,
                 {.datamap = node->datamap | bit,
                  .nodemap = node->nodemap,
                  .put_entry = AsInt(IndexOf(node->datamap, bit)),
                  .entry = e});
}

bool SingleEntry(const Node* node, unsigned shift) {
  return node->child_count() == 0 && node->entry_count(shift) == 1;
}

// Removes (hash, name) from the subtrie at node; returns the subtrie's new root, nullptr
// when it became empty (only a subtrie's top node can: the others hold two entries or
// more under them).
const Node* Remove(Store& s, const Node* node, unsigned shift, uint64_t hash, std::string_view name,
                   bool& removed) {
  if (shift > kLastShift) {
    const unsigned n = node->entry_count(shift);
    for (unsigned i = 0; i < n; ++i) {
      if (node->entries()[i].item->snapshot.name != name) continue;
      removed = true;
      s.Retire(node->entries()[i].item);
      return Rebuild(s, node, shift, {.datamap = n - 1, .skip_entry = AsInt(i)});
    }
    return node;
  }
  const uint64_t bit = BitOf(hash, shift);
  if (node->datamap & bit) {
    const unsigned i = IndexOf(node->datamap, bit);
    const Entry& e = node->entries()[i];
    if (e.hash != hash || e.item->snapshot.name != name) return node;
    removed = true;
    s.Retire(e.item);
    if (node->datamap == bit && node->nodemap == 0) {
      s.Retire(node);
      return nullptr;
    }
    return Rebuild(
        s, node, shift,
        {.datamap = node->datamap & ~bit, .nodemap = node->nodemap, .skip_entry = AsInt(i)});
  }
  if (!(node->nodemap & bit)) return node;
  const unsigned j = IndexOf(node->nodemap, bit);
  const Node* child = node->children(shift)[j];
  const Node* next = Remove(s, child, shift + kBits, hash, name, removed);
  if (next == child) return node;
  if (SingleEntry(next, shift + kBits)) {  // its last entry moves up here
    const Entry only = next->entries()[0];
    s.Retire(next);
    return Rebuild(s, node, shift,
                   {.datamap = node->datamap | bit,
                    .nodemap = node->nodemap & ~bit,
                    .put_entry = AsInt(IndexOf(node->datamap, bit)),
                    .entry = only,
                    .skip_child = AsInt(j)});
  }
  Node* w = s.Writable(node, shift);
  w->children(shift)[j] = next;
  return w;
}

}  // namespace

}  // namespace view_internal

// ---- ViewWriter ----

using view_internal::Store;

ViewWriter::ViewWriter()
    : store_(std::make_shared<Store>()),
      census_(std::make_unique<view_internal::InstanceCensus>()) {}

ViewWriter::ViewWriter(NoCensus) : store_(std::make_shared<Store>()) {}

ViewWriter::~ViewWriter() = default;

void ViewWriter::Put(ServiceSnapshot snapshot, uint64_t hash) {
  using namespace view_internal;
  Store& s = *store_;
  if (census_) {
    const Entry* old = Lookup(s.root, hash, snapshot.name).first;
    census_->Change(old ? &old->item->snapshot : nullptr, &snapshot);
  }
  const Entry e{hash, s.NewItem(std::move(snapshot))};
  const Mid* mid = s.root ? s.root->slots[RootSlot(hash)] : nullptr;
  const Node* sub = mid ? mid->slots[MidSlot(hash)] : nullptr;
  bool added = true;
  const Node* next;
  if (sub) {
    next = Insert(s, sub, kFirstShift, e, added);
  } else {
    Node* n = s.NewNode(BitOf(hash, kFirstShift), 0, 1, 0);
    n->entries()[0] = e;
    next = n;
  }
  if (added) ++s.size;
  if (next == sub) return;  // changed in place
  Mid* m = mid ? s.Writable(mid) : s.NewDense<Node>();
  m->used += !sub;
  m->slots[MidSlot(hash)] = next;
  if (m == mid) return;
  Top* t = s.root ? s.Writable(s.root) : s.NewDense<Mid>();
  t->used += !mid;
  t->slots[RootSlot(hash)] = m;
  s.root = t;
}

bool ViewWriter::Erase(std::string_view lower_name, uint64_t hash) {
  using namespace view_internal;
  Store& s = *store_;
  const Mid* mid = s.root ? s.root->slots[RootSlot(hash)] : nullptr;
  const Node* sub = mid ? mid->slots[MidSlot(hash)] : nullptr;
  if (!sub) return false;
  if (census_) {
    if (const Entry* old = Lookup(s.root, hash, lower_name).first) {
      census_->Change(&old->item->snapshot, nullptr);
    }
  }
  bool removed = false;
  const Node* next = Remove(s, sub, kFirstShift, hash, lower_name, removed);
  if (!removed) return false;
  --s.size;
  if (next == sub) return true;  // changed in place
  Mid* m = s.Writable(mid);
  m->used -= !next;
  m->slots[MidSlot(hash)] = next;
  const Mid* mid_next = m;
  if (m->used == 0) {
    s.Retire(mid_next);
    mid_next = nullptr;
  }
  if (mid_next == mid) return true;
  Top* t = s.Writable(s.root);
  t->used -= !mid_next;
  t->slots[RootSlot(hash)] = mid_next;
  s.root = t;
  if (t->used == 0) {
    s.Retire(s.root);
    s.root = nullptr;
  }
  return true;
}

std::shared_ptr<const RegistryView> ViewWriter::Publish(bool loaded, uint64_t index) {
  Store& s = *store_;
  s.Reclaim();
  const uint64_t generation = s.next_generation;
  auto view = std::make_shared<const RegistryView>(
      RegistryView::Key{}, store_, s.root, s.size, loaded, index, generation,
      census_ ? census_->PublishTags() : nullptr, census_ ? census_->protos() : 0);
  s.alive.insert(generation);
  ++s.next_generation;  // from here on, the trie's nodes are immutable
  return view;
}

void ViewWriter::Reclaim() {
  store_->Reclaim();
  if (census_) census_->Reclaim();
}

size_t ViewWriter::size() const { return store_->size; }

ViewWriter::Counts ViewWriter::counts() const { return store_->counts; }

// ---- Registry ----

ServiceSnapshot Registry::Impl::BuildSnapshot(const ServiceRec& svc) const {
  ServiceSnapshot snap;
  snap.name = svc.name;
  snap.index = svc.index;
  snap.instances.reserve(svc.instances.size());
  for (const auto& [id, rec] : svc.instances) snap.instances.push_back(rec.inst);  // id order
  return snap;
}

void Registry::Impl::Publish(bool force) {
  if (dirty.empty() && !force) return;
  // Swapped out rather than cleared: clear() would zero all the buckets a bulk load grew.
  StringSet changed;
  changed.swap(dirty);
  for (const std::string& name : changed) {
    auto it = services.find(name);
    if (it == services.end()) {
      writer.Erase(name);
    } else {
      writer.Put(BuildSnapshot(it->second));
    }
  }
  current = writer.Publish(loaded, reg.index_);
  reg.view_->Publish(current);
  writer.Reclaim();  // the previous view is gone now unless a reader still holds it
}

std::shared_ptr<const RegistryView> Registry::Impl::InitialView() {
  current = writer.Publish(/*loaded=*/true, reg.index_);
  return current;
}

}  // namespace registry
