// Drives dnsd's Consul API with the real npm "consul" client (test_consul.py runs it):
// register with a TTL check, pass it, read health (passing) and the catalog, watch
// health.service until a second registration shows, deregister the first. Prints one
// JSON object of what the client saw; exits non-zero on any client error.
"use strict";
const Consul = require("consul");

const [host, port] = process.argv[2].split(":");
const consul = new Consul({ host, port: Number(port) });

function watchUntil(count, timeoutMs) {
  return new Promise((resolve, reject) => {
    const watch = consul.watch({
      method: consul.health.service,
      options: { service: "web", passing: true, wait: "5s" },
      backoffFactor: 100,
    });
    const timer = setTimeout(() => {
      watch.end();
      reject(new Error("watch did not fire"));
    }, timeoutMs);
    const changes = [];
    watch.on("change", (data) => {
      changes.push(data.map((e) => e.Service.ID).sort());
      if (data.length === count) {
        clearTimeout(timer);
        watch.end();
        resolve(changes);
      }
    });
    watch.on("error", (err) => {
      clearTimeout(timer);
      watch.end();
      reject(err);
    });
  });
}

async function main() {
  const out = {};
  await consul.agent.service.register({
    name: "web", id: "web-1", address: "127.0.0.2", port: 8080,
    tags: ["v1", "traefik.enable=true"], check: { ttl: "10s" },
  });
  await consul.agent.check.pass({ id: "service:web-1", note: "ok" });
  out.health = (await consul.health.service({ service: "web", passing: true }))
    .map((e) => ({ id: e.Service.ID, tags: e.Service.Tags, status: e.Checks[0].Status,
                   port: e.Service.Port }));
  out.catalog = await consul.catalog.service.list();
  const watched = watchUntil(2, 10000);
  await new Promise((r) => setTimeout(r, 300));  // the watch is parked by now
  await consul.agent.service.register({ name: "web", id: "web-2", address: "127.0.0.3",
                                        port: 8081, check: { ttl: "10s" } });
  out.watch = await watched;
  await consul.agent.service.deregister("web-1");
  out.after = (await consul.health.service({ service: "web" })).map((e) => e.Service.ID);
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
