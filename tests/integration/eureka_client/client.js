// Drives dnsd's Eureka API with the real npm "eureka-js-client" (test_eureka.py runs it).
// argv: <host:port> <app> <hostName> <ipAddr> <heartbeatMs> <leaseSeconds>. Commands come
// on stdin, one a line: "start", "fetch", "instances <APP>", "stop", "exit". Every result
// and every client event ("registered", "heartbeat", "deregistered") is one JSON line on
// stdout, so the test can wait for what it needs.
"use strict";
const readline = require("readline");
const Eureka = require("eureka-js-client").Eureka;

const [hostPort, app, hostName, ipAddr, heartbeatMs, leaseSeconds] = process.argv.slice(2);
const [host, port] = hostPort.split(":");
const say = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const client = new Eureka({
  logger: quiet,
  instance: {
    app,
    hostName,
    ipAddr,
    port: { $: 8080, "@enabled": true },
    vipAddress: app.toLowerCase(),
    statusPageUrl: `http://${ipAddr}:8080/info`,
    dataCenterInfo: {
      "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
      name: "MyOwn",
    },
    leaseInfo: { renewalIntervalInSecs: 1, durationInSecs: Number(leaseSeconds) },
    metadata: { zone: "z1" },
  },
  eureka: {
    host,
    port: Number(port),
    servicePath: "/eureka/apps/",
    heartbeatInterval: Number(heartbeatMs),
    registryFetchInterval: 600000,  // the test fetches when it wants to
    maxRetries: 0,
  },
});

for (const event of ["registered", "heartbeat", "deregistered"]) {
  client.on(event, () => say({ event }));
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === "start") {
    client.start((err) => say({ started: !err, error: err ? String(err) : null }));
  } else if (cmd === "fetch") {
    client.fetchRegistry((err) => say({ fetched: !err, error: err ? String(err) : null }));
  } else if (cmd === "instances") {
    say({
      instances: client.getInstancesByAppId(arg).map((i) => ({
        instanceId: i.instanceId, hostName: i.hostName, app: i.app, ipAddr: i.ipAddr,
        status: i.status, port: i.port, vipAddress: i.vipAddress, metadata: i.metadata,
      })),
    });
  } else if (cmd === "stop") {
    client.stop((err) => say({ stopped: !err, error: err ? String(err) : null }));
  } else if (cmd === "exit") {
    process.exit(0);
  }
});
rl.on("close", () => process.exit(0));
