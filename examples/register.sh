#!/usr/bin/env bash
# Registers one instance with dnsd and keeps its lease alive; on Ctrl-C (or SIGTERM)
# it deregisters, so the instance leaves DNS at once instead of after its lease.
#
#   examples/register.sh api api-1 8080            # service, id, port
#   DNSD=http://127.0.0.1:8500 TTL=10s ADDRESS=10.0.0.7 TOKEN=secret examples/register.sh api api-1 8080
set -euo pipefail

service=${1:?usage: register.sh SERVICE ID PORT}
id=${2:?usage: register.sh SERVICE ID PORT}
port=${3:?usage: register.sh SERVICE ID PORT}
dnsd=${DNSD:-http://127.0.0.1:8500}
ttl=${TTL:-10s}
interval=${INTERVAL:-3}   # seconds between heartbeats; keep it well under the lease
url="$dnsd/v1/services/$service/instances/$id"

auth=()
[ -n "${TOKEN:-}" ] && auth=(-H "Authorization: Bearer $TOKEN")
address_field=""
[ -n "${ADDRESS:-}" ] && address_field="\"address\":\"$ADDRESS\","

register() {
  curl -fsS "${auth[@]}" -X PUT "$url" -H 'Content-Type: application/json' \
    -d "{${address_field}\"port\":$port,\"ttl\":\"$ttl\"}" >/dev/null
}

deregister() {
  curl -fsS "${auth[@]}" -X DELETE "$url" >/dev/null || true
  echo "deregistered $service/$id"
  exit 0
}
trap deregister INT TERM

register
echo "registered $service/$id on port $port (lease $ttl); Ctrl-C deregisters"
while true; do
  # 404 means dnsd forgot us (restart, removal after a long pause): register again.
  code=$(curl -sS -o /dev/null -w '%{http_code}' "${auth[@]}" -X PUT "$url/heartbeat" || echo 000)
  case "$code" in
    200) ;;
    404) register && echo "re-registered $service/$id" ;;
    *) echo "heartbeat failed (HTTP $code); retrying" >&2 ;;
  esac
  sleep "$interval" &
  wait $!   # wait on a background sleep so the trap runs at once on Ctrl-C
done
