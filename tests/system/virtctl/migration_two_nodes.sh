#!/usr/bin/env bash
# migration_two_nodes.sh TEST_BINARY — migrateVM between two real libvirtds: two network
# namespaces joined by a veth pair (10.251.0.1 and 10.251.0.2, addresses that exist only inside
# them), each running libvirtd_node.sh. TEST_BINARY (virtctl_migration_system_test) runs inside
# the first namespace and migrates a firmware-only QEMU/TCG guest to the second. Both nodes see
# the guest's disk at the same path (/tmp is shared), as with shared storage in a cluster.
set -euo pipefail

readonly TEST_BINARY="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly NS_A="uvt-mig-a-$$" NS_B="uvt-mig-b-$$"
readonly ADDRESS_A=10.251.0.1 ADDRESS_B=10.251.0.2
WORK="$(mktemp -d /tmp/uvt-migration.XXXXXX)"
readonly WORK

if [[ ! -x /usr/sbin/libvirtd ]] || ! command -v qemu-system-x86_64 >/dev/null; then
  echo "libvirt-daemon and qemu-system-x86 are not installed" >&2
  exit 77
fi

node_pids() { ip netns pids "$1" 2>/dev/null || true; }

cleanup() {
  local ns pid
  for ns in "$NS_A" "$NS_B"; do
    for pid in $(node_pids "$ns"); do kill -TERM "$pid" 2>/dev/null || true; done
  done
  local deadline=$((SECONDS + 20))
  for ns in "$NS_A" "$NS_B"; do
    while [[ -n "$(node_pids "$ns")" ]] && ((SECONDS < deadline)); do sleep 0.1; done
    for pid in $(node_pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add uvt-mig-a netns "$NS_A" type veth peer name uvt-mig-b netns "$NS_B"
ip -n "$NS_A" addr add "${ADDRESS_A}/24" dev uvt-mig-a
ip -n "$NS_B" addr add "${ADDRESS_B}/24" dev uvt-mig-b
ip -n "$NS_A" link set uvt-mig-a up
ip -n "$NS_B" link set uvt-mig-b up

start_node() {
  local ns="$1" address="$2" name="$3"
  ip netns exec "$ns" unshare -m --propagation private \
    bash "${HERE}/libvirtd_node.sh" "${WORK}/${name}" "$address" >"${WORK}/${name}.log" 2>&1 &
}
node_answers() {
  ip netns exec "$NS_A" virsh -q -c "qemu+tcp://$1/system" version >/dev/null 2>&1
}

start=$SECONDS
start_node "$NS_A" "$ADDRESS_A" node-a
start_node "$NS_B" "$ADDRESS_B" node-b
deadline=$((SECONDS + 90))
until node_answers "$ADDRESS_A" && node_answers "$ADDRESS_B"; do
  if ((SECONDS > deadline)); then
    echo "the two libvirtds did not answer within 90 s" >&2
    tail -n 20 "${WORK}"/node-*.log >&2
    exit 1
  fi
  sleep 0.2
done
echo "timing: two libvirtds ready in $((SECONDS - start)) s"

ip netns exec "$NS_A" env \
  UNIVIRT_MIGRATION_SOURCE_URI="qemu+tcp://${ADDRESS_A}/system" \
  UNIVIRT_MIGRATION_TARGET_IP="$ADDRESS_B" \
  "$TEST_BINARY"
