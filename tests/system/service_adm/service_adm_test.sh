#!/usr/bin/env bash
# service_adm_test.sh SOURCE_DIR BUILD_DIR — installer/service-adm in cluster mode against a real
# kube-lite holding a Node labelled doslab/virt.tool.ubuntu, the virt-tool-ubuntu DaemonSet and its
# pod. A loop in this test plays the DaemonSet controller: it deletes the pod while the node lacks
# the label and creates it again when the label is back. Checks: the label goes and comes back,
# start waits for the pod, one copy per daemon (pid files and lock files), a failing start and
# SIGTERM put the label back, and `status` repairs a node left unlabelled by a SIGKILLed run.
set -euo pipefail

readonly SOURCE_DIR="$1" BUILD_DIR="$2"
readonly ADM="${SOURCE_DIR}/installer/service-adm"
readonly NODE="uvt-sadm-node"
readonly LABEL="doslab/virt.tool.ubuntu"
WORK="$(mktemp -d /tmp/uvt-service-adm.XXXXXX)"
readonly WORK
export KUBECONFIG="${WORK}/kubeconfig"
# The daemons talk to libvirt's in-process test driver: no libvirtd needed.
export UNIVIRT_LIBVIRT_URI="test:///default"

kube_lite_pid=""
controller_pid=""

cleanup() {
  [[ -n "$controller_pid" ]] && kill "$controller_pid" 2>/dev/null
  adm stop >/dev/null 2>&1 || true
  [[ -n "$kube_lite_pid" ]] && kill "$kube_lite_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  tail -n 20 "${WORK}"/log/*.log >&2 2>/dev/null || true
  exit 1
}

ADM_OPTIONS=(--node-name "$NODE" --kubeconfig "$KUBECONFIG" --build-dir "$BUILD_DIR" --mode cluster
  --run-dir "${WORK}/run" --log-dir "${WORK}/log" --state-dir "${WORK}/state"
  --lock-dir "${WORK}/lock" --pod-timeout 60)
readonly ADM_OPTIONS
adm() { "$ADM" "${ADM_OPTIONS[@]}" "$@"; }

has_label() {
  # shellcheck disable=SC2016  # a Go template, not shell
  kubectl get node "$NODE" -o go-template='{{range $k, $v := .metadata.labels}}{{$k}}{{"\n"}}{{end}}' |
    grep -qxF "$LABEL"
}

pod_present() { kubectl -n kube-system get pod virt-tool-ubuntu-pod >/dev/null 2>&1; }

create_pod() {
  kubectl create -f - >/dev/null <<POD
apiVersion: v1
kind: Pod
metadata:
  name: virt-tool-ubuntu-pod
  namespace: kube-system
  labels: {app: virt-tool-ubuntu}
  ownerReferences:
  - {apiVersion: apps/v1, kind: DaemonSet, name: virt-tool-ubuntu, uid: ${ds_uid}, controller: true}
spec:
  nodeName: ${NODE}
  containers: [{name: virtctl, image: univirt:test}]
POD
}

# The DaemonSet controller, as far as this node goes.
run_controller() {
  while true; do
    if has_label; then
      pod_present || create_pod || true
    else
      pod_present && kubectl -n kube-system delete pod virt-tool-ubuntu-pod --wait=false >/dev/null
    fi
    sleep 0.2
  done
}

start_controller() {
  run_controller &
  controller_pid=$!
}

stop_controller() {
  kill "$controller_pid" 2>/dev/null || true
  wait "$controller_pid" 2>/dev/null || true
  controller_pid=""
}

wait_until() {
  local what="$1" deadline=$((SECONDS + 60))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting until ${what}"
    sleep 0.2
  done
}

no_label() { ! has_label; }
pid_of_virtctl() { cat "${WORK}/run/virtctl_daemon.pid" 2>/dev/null; }
virtctl_running() { [[ -n "$(pid_of_virtctl)" ]] && kill -0 "$(pid_of_virtctl)" 2>/dev/null; }

# --- the cluster ---------------------------------------------------------------------------------
"${BUILD_DIR}/daemons/kube-lite/univirt-kube-lite" --data-dir "${WORK}/kube-lite" --port 0 \
  --port-file "${WORK}/port" --write-kubeconfig "$KUBECONFIG" >"${WORK}/kube-lite.log" 2>&1 &
kube_lite_pid=$!
wait_until "kube-lite serves" test -s "${WORK}/port"
kube_lite_ready() { kubectl get --raw /readyz >/dev/null 2>&1; }
wait_until "kube-lite is ready" kube_lite_ready
kubectl apply --server-side -f "${SOURCE_DIR}/daemons/crds/crds.yaml" >/dev/null
kubectl wait --for condition=Established crd --all --timeout=30s >/dev/null
kubectl get namespace kube-system >/dev/null 2>&1 || kubectl create namespace kube-system >/dev/null
kubectl create -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: ${NODE}
  labels: {"${LABEL}": ""}
NODE
kubectl create -f - >/dev/null <<DS
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: virt-tool-ubuntu, namespace: kube-system}
spec:
  selector: {matchLabels: {app: virt-tool-ubuntu}}
  template:
    metadata: {labels: {app: virt-tool-ubuntu}}
    spec:
      nodeSelector: {"${LABEL}": ""}
      containers: [{name: virtctl, image: univirt:test}]
DS
ds_uid="$(kubectl -n kube-system get daemonset virt-tool-ubuntu -o jsonpath='{.metadata.uid}')"
start_controller
wait_until "the DaemonSet pod exists" pod_present

echo "--- start takes the node out of the DaemonSet and runs the local build"
adm start || fail "start failed"
no_label || fail "the label is still on the node"
pod_present && fail "start returned while the DaemonSet pod still ran"
virtctl_running || fail "virtctl does not run"
adm status || fail "status reports a problem while the daemons run"
status_text="$(adm status)"
grep -q "out of the DaemonSet" <<<"$status_text" || fail "status does not say the node is out"
grep -q 'level=debug' "${WORK}/log/virtctl.log" || fail "virtctl does not log at debug level"

echo "--- a second start refuses and changes nothing"
first_pid="$(pid_of_virtctl)"
if adm start; then fail "a second start succeeded"; fi
[[ "$(pid_of_virtctl)" == "$first_pid" ]] || fail "the second start replaced virtctl"
virtctl_running || fail "the second start stopped virtctl"
no_label || fail "the second start put the label back"

echo "--- stop puts the label back"
adm stop || fail "stop failed"
has_label || fail "stop did not put the label back"
[[ "$(kubectl get node "$NODE" -o go-template="{{index .metadata.labels \"${LABEL}\"}}")" == "" ]] ||
  fail "the label's value is not empty"
virtctl_running && fail "virtctl still runs after stop"
wait_until "the DaemonSet pod is back" pod_present

echo "--- a virtctl already holding the node's lock: start refuses and restores the label"
mkdir -p "${WORK}/lock"
flock --close "${WORK}/lock/virtctl.lock" sleep 120 &
holder=$!
wait_until "the lock is held" bash -c "! flock -n '${WORK}/lock/virtctl.lock' true"
if adm start; then fail "start succeeded while another virtctl held the lock"; fi
has_label || fail "a start refused for the lock left the node unlabelled"
virtctl_running && fail "virtctl runs twice"
# flock runs sleep as its child: end the sleep too, or it keeps the test's output pipe open
# (ctest then waits the full 120 s for it).
pkill -TERM -P "$holder" || true
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true

echo "--- a daemon that fails to start: the label comes back"
if UNIVIRT_PATH_ROOTS="not/absolute" adm start; then fail "start succeeded with a failing virtctl"; fi
has_label || fail "a failed start left the node unlabelled"
[[ ! -e "${WORK}/state/${NODE}.state" ]] || fail "a failed start left its state file"

echo "--- SIGTERM while waiting for the pod: the label comes back"
wait_until "the DaemonSet pod is back" pod_present
stop_controller
"$ADM" "${ADM_OPTIONS[@]}" start &  # not through adm(): $! must be service-adm itself
adm_pid=$!
wait_until "start removed the label" no_label
kill -TERM "$adm_pid"
wait "$adm_pid" 2>/dev/null || true
has_label || fail "SIGTERM left the node unlabelled"

echo "--- SIGKILL while waiting for the pod: status repairs the node"
"$ADM" "${ADM_OPTIONS[@]}" start &  # not through adm(): $! must be service-adm itself
adm_pid=$!
wait_until "start removed the label" no_label
kill -KILL "$adm_pid"
wait "$adm_pid" 2>/dev/null || true
no_label || fail "the label came back although the run was killed"
status_rc=0
adm status >"${WORK}/status.out" || status_rc=$?
cat "${WORK}/status.out"
grep -q "repairing" "${WORK}/status.out" || fail "status did not notice the abandoned node"
has_label || fail "status did not put the label back"
((status_rc == 3)) || fail "status exited ${status_rc} with no daemon running, not 3"
echo "service-adm passed"
