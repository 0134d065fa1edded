// Apply(): the one place a command becomes a Registry mutation.
#include "registry/command.h"

#include <utility>

#include "registry/registry.h"
#include "registry/store.h"

namespace registry {

Result<uint64_t> Apply(Registry& registry, Command cmd) {
  struct Visitor {
    Registry& r;
    Result<uint64_t> operator()(RegisterCommand& c) { return r.Register(std::move(c.spec)); }
    Result<uint64_t> operator()(HeartbeatCommand& c) {
      return r.Heartbeat(c.service, c.id, c.status, std::move(c.note));
    }
    Result<uint64_t> operator()(SetStatusCommand& c) {
      return r.SetStatus(c.service, c.id, c.status, std::move(c.note));
    }
    Result<uint64_t> operator()(DeregisterCommand& c) { return r.Deregister(c.service, c.id); }
  };
  return std::visit(Visitor{registry}, cmd);
}

// Publishes before answering, so that the change is in the very next DNS answer.
void MemoryStore::Submit(Command cmd, Done done) {
  Result<uint64_t> result = Apply(registry_, std::move(cmd));
  if (result) registry_.Publish();
  done(std::move(result));
}

}  // namespace registry
