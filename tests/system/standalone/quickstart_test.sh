#!/usr/bin/env bash
# quickstart_test.sh SOURCE_DIR BUILD_DIR — the README's quick start, literally: univirt-standalone
# up (twice: the second must change nothing), kubectl apply the example VM, wait for Running,
# down; then a second up/start/down cycle on the kept data, and down --purge.
# Exit 77 (ctest: skipped) when kubectl is missing or a standalone node already runs here,
# which this test must not disturb.
set -euo pipefail

readonly SOURCE_DIR="$1" BUILD_DIR="$2"
readonly STANDALONE="${SOURCE_DIR}/installer/univirt-standalone"
readonly DATA_DIR=/var/lib/univirt/standalone
readonly VM=demo-vm
export KUBECONFIG="${DATA_DIR}/kubeconfig"

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  "$STANDALONE" logs virtctl >&2 || true
  exit 1
}

if ! command -v kubectl >/dev/null; then
  echo "kubectl is not installed; skipping"
  exit 77
fi
if "$STANDALONE" status >/dev/null 2>&1; then
  echo "a univirt standalone node already runs on this machine; skipping so as not to disturb it"
  exit 77
fi
trap '"$STANDALONE" down --purge >/dev/null 2>&1 || true' EXIT

up() { "$STANDALONE" up --build-dir "$BUILD_DIR"; }

powerstate() { kubectl get vm "$VM" -o jsonpath='{.spec.powerstate}' 2>/dev/null || true; }
domain_state() { virsh -c qemu:///system domstate "$VM" 2>/dev/null | head -n 1 || true; }

wait_for_powerstate() {
  local want="$1" deadline=$((SECONDS + 180))
  until [[ "$(powerstate)" == "$want" ]]; do
    if [[ "$(kubectl get vm "$VM" -o jsonpath='{.status.lastOperation.phase}')" == Failed ]]; then
      fail "the request failed: $(kubectl get vm "$VM" -o jsonpath='{.status.lastOperation.message}')"
    fi
    ((SECONDS < deadline)) || fail "VirtualMachine $VM is '$(powerstate)', not '$want', after 180 s"
    sleep 0.5
  done
}

# Waits until KIND/NAME's last operation is OPERATION and it succeeded.
wait_for_operation() {
  local kind="$1" name="$2" operation="$3" deadline=$((SECONDS + 120)) got
  while true; do
    got="$(kubectl get "$kind" "$name" \
      -o jsonpath='{.status.lastOperation.name} {.status.lastOperation.phase}' 2>/dev/null || true)"
    [[ "$got" == "${operation} Succeeded" ]] && return 0
    if [[ "$got" == "${operation} Failed" ]]; then
      fail "${kind}/${name} ${operation} failed: $(kubectl get "$kind" "$name" \
        -o jsonpath='{.status.lastOperation.message}')"
    fi
    ((SECONDS < deadline)) || fail "${kind}/${name} ${operation}: '${got}' after 120 s"
    sleep 0.5
  done
}

start=$SECONDS
echo "--- up"
up || fail "up failed"
echo "--- up again"
second="$(up)" || fail "the second up failed"
printf '%s\n' "$second"
grep -q '^nothing to do' <<<"$second" || fail "the second up changed something"

echo "--- kubectl apply -f examples/vm-create.yaml"
kubectl apply -f "${SOURCE_DIR}/examples/vm-create.yaml"
wait_for_powerstate Running
[[ "$(domain_state)" == running ]] || fail "libvirt shows $VM as '$(domain_state)'"
listing="$(kubectl get vm -o wide)"
printf '%s\n' "$listing"
grep -qE "^${VM} .* Running" <<<"$listing" || fail "kubectl get vm -o wide does not show $VM Running"
"$STANDALONE" status || fail "status reports a problem while everything runs"
logs="$("$STANDALONE" logs virtctl)"
grep -q "virtctl starting" <<<"$logs" || fail "logs virtctl does not show the daemon's log"

echo "--- storage: a pool, a disk in it, plugged into the running VM"
kubectl apply -f "${SOURCE_DIR}/examples/pool-create.yaml"
wait_for_operation vmp demo-pool createPool
kubectl apply -f "${SOURCE_DIR}/examples/disk-create.yaml"
wait_for_operation vmd data1 createDisk
kubectl apply -f "${SOURCE_DIR}/examples/vm-plug-disk.yaml"
wait_for_operation vm "$VM" plugDisk
disks="$(virsh -c qemu:///system domblklist "$VM")"
grep -q "vdb .*demo-pool/data1/data1" <<<"$disks" || fail "the running domain has no vdb from demo-pool:
${disks}"

echo "--- down"
"$STANDALONE" down || fail "down failed"
[[ "$(domain_state)" != running ]] || fail "$VM still runs after down"
if "$STANDALONE" status; then fail "status says all is well after down"; fi
[[ -s "${DATA_DIR}/kube-lite/kube-lite.db" ]] || fail "down lost kube-lite's data"

echo "--- up on the kept data, start the VM again"
up || fail "the up after down failed"
kubectl get vm "$VM" >/dev/null || fail "the VirtualMachine did not survive down/up"
kubectl apply -f "${SOURCE_DIR}/examples/vm-start.yaml"
wait_for_powerstate Running
[[ "$(domain_state)" == running ]] || fail "libvirt shows $VM as '$(domain_state)' after startVM"

echo "--- down --purge"
"$STANDALONE" down --purge || fail "down --purge failed"
[[ ! -e "$DATA_DIR" ]] || fail "down --purge left $DATA_DIR"
if virsh -c qemu:///system dominfo "$VM" >/dev/null 2>&1; then
  fail "down --purge left the domain $VM defined"
fi
if virsh -c qemu:///system pool-info demo-pool >/dev/null 2>&1; then
  fail "down --purge left the storage pool demo-pool defined"
fi
trap - EXIT
echo "quick start passed in $((SECONDS - start)) s"
