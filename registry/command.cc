// Apply(): the one place a command becomes a Registry mutation.
#include "registry/command.h"

#include <utility>

#include "registry/registry.h"
#include "registry/store.h"

namespace registry {

Result<uint64_t> Apply(Registry& registry, Command cmd) {
  struct Visitor {
    Registry& r;
    Result<uint64_t> operator()(RegisterCommand& c) {
      if (!c.moves_from && !c.status) return r.Register(std::move(c.spec));
      InstanceSpec checked = c.spec;
      if (Status s = Validate(checked); !s) return s.error();
      if (c.moves_from && *c.moves_from != checked.service) {
        (void)r.Deregister(*c.moves_from, checked.id);  // gone already: nothing to move
      }
      Result<uint64_t> index = r.Register(std::move(c.spec));
      if (!index || !c.status) return index;
      const Instance* now = r.Find(checked.service, checked.id);
      if (!now) return index;
      // An operator's maintenance stays, unless the front end forces the status.
      if (now->health == Health::kMaintenance && !c.force_status) return index;
      if (now->own_health == *c.status) return index;
      return r.SetStatus(checked.service, checked.id, *c.status);
    }
    Result<uint64_t> operator()(HeartbeatCommand& c) {
      if (c.keep_status) return r.Renew(c.service, c.id);
      return r.Heartbeat(c.service, c.id, c.status, std::move(c.note));
    }
    Result<uint64_t> operator()(SetStatusCommand& c) {
      return r.SetStatus(c.service, c.id, c.status, std::move(c.note));
    }
    Result<uint64_t> operator()(DeregisterCommand& c) { return r.Deregister(c.service, c.id); }
    Result<uint64_t> operator()(CheckResultCommand& c) {
      return r.SetCheckResult(c.service, c.id, c.check, c.status, std::move(c.output),
                              c.last_run_ms);
    }
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
