# shellcheck shell=bash
# installer/lib/standalone_steps.sh — the commands of univirt-standalone (up, down, status,
# logs). Sourced by installer/univirt-standalone, which parses the options into the globals used
# here (data_dir, run_dir, log_dir, kubeconfig, node_name, port, build_dir, jobs, ...).

# shellcheck source=processes.sh
source "${ROOT}/installer/lib/processes.sh"
# shellcheck source=node_daemons.sh
source "${ROOT}/installer/lib/node_daemons.sh"

readonly KUBE_LITE_READY_S=30
readonly DAEMON_READY_S=90

# --- step runner -------------------------------------------------------------------------------
# A step function sets `note` (what it found or did; on failure, what to do) and `changed`
# (1 when it altered the machine), and returns non-zero on failure.

step_index=0
step_count=0
changed_steps=0
note=""
changed=0

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }

elapsed_since() {
  local start_us="$1" us
  us=$(($(now_us) - start_us))
  printf '%d.%d s' $((us / 1000000)) $(((us % 1000000) / 100000))
}

run_step() {
  local title="$1" function="$2"
  shift 2
  step_index=$((step_index + 1))
  note=""
  changed=0
  local start
  start="$(now_us)"
  printf '[%2d/%d] %-15s ' "$step_index" "$step_count" "$title"
  if "$function" "$@"; then
    printf '%s (%s)\n' "$note" "$(elapsed_since "$start")"
    changed_steps=$((changed_steps + changed))
    return 0
  fi
  printf 'FAILED (%s)\n' "$(elapsed_since "$start")"
  printf '\n%s\n' "$note" >&2
  printf '\n%s: step "%s" failed; fix the above and run "%s up" again (it resumes).\n' \
    "$PROGRAM" "$title" "$PROGRAM" >&2
  exit 1
}

kc() { kubectl --kubeconfig "$kubeconfig" "$@"; }

# --- binaries ----------------------------------------------------------------------------------
# Where each program comes from: a build tree (--build-dir or the managed build/release) or the
# installed packages.

binary_source=""

binary_path() {
  local name="$1"
  if [[ "$binary_source" == /usr/bin ]]; then
    printf '/usr/bin/univirt-%s' "$name"
  else
    printf '%s/daemons/%s/univirt-%s' "$binary_source" "$name" "$name"
  fi
}

# An in-tree build is kept current with an incremental build; release is configured when no
# build tree exists yet.
in_tree_build=0

choose_binary_source() {
  if [[ -n "$build_dir" ]]; then
    binary_source="$build_dir"
    return 0
  fi
  if [[ -x /usr/bin/univirt-virtctl && -x /usr/bin/univirt-kube-lite ]]; then
    binary_source=/usr/bin
    return 0
  fi
  in_tree_build=1
  binary_source="$(univirt_in_tree_build "$ROOT")" || binary_source="${ROOT}/build/release"
}

crd_file() {
  if [[ -f "${ROOT}/daemons/crds/crds.yaml" ]]; then
    printf '%s' "${ROOT}/daemons/crds/crds.yaml"
  else
    printf '%s' /usr/share/univirt/crds/crds.yaml
  fi
}

# --- the steps of `up` -------------------------------------------------------------------------

step_packages() {
  local wanted missing=() package
  mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$DEPS_FILE" | grep -v '^$')
  local installed
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null |
    awk '$4 == "installed" { print $1 }')"
  for package in "${wanted[@]}"; do
    grep -qxF "$package" <<<"$installed" || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    note="all ${#wanted[@]} packages of installer/deps/debian-build.txt installed"
    return 0
  fi
  if ((!install_packages)); then
    note="missing packages: ${missing[*]}
Install them (apt-get install -y ${missing[*]}) or run without --no-install."
    return 1
  fi
  local log="${log_dir}/apt.log"
  mkdir -p "$log_dir"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >>"$log" 2>&1; then
    # A fresh machine's package lists may be stale or empty.
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1; then
      note="apt-get could not install: ${missing[*]}
Its output is in ${log}; check the machine's apt sources and network, then rerun."
      return 1
    fi
  fi
  note="installed ${#missing[@]}: ${missing[*]}"
  changed=1
}

# Shows ninja's [done/total] counter on a terminal; the whole output goes to the build log.
show_build_progress() {
  local log="$1" line
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$log"
    if [[ -t 1 && "$line" =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
      printf '\r[%2d/%d] %-15s compiling %s/%s ' "$step_index" "$step_count" binaries \
        "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    fi
  done
  [[ -t 1 ]] && printf '\r[%2d/%d] %-15s ' "$step_index" "$step_count" binaries
  return 0
}

step_binaries() {
  if [[ "$binary_source" == /usr/bin ]]; then
    note="using the installed packages ($(/usr/bin/univirt-virtctl --version 2>/dev/null | head -n 1))"
    return 0
  fi
  if ((in_tree_build)); then
    local log="${log_dir}/build.log"
    mkdir -p "$log_dir"
    : >"$log"
    if [[ ! -f "${binary_source}/CMakeCache.txt" ]] &&
      ! (cd "$ROOT" && cmake --preset release) >>"$log" 2>&1; then
      note="configuring the build failed; see ${log}"
      return 1
    fi
    local status
    set +e
    cmake --build "$binary_source" -j "$jobs" 2>&1 | show_build_progress "$log"
    status="${PIPESTATUS[0]}"
    set -e
    if ((status != 0)); then
      note="the build failed; the compiler's messages are in ${log}:
$(grep -m 5 -B 2 -A 3 'error' "$log" || tail -n 20 "$log")"
      return 1
    fi
    if grep -q 'no work to do' "$log"; then
      note="up to date in ${binary_source}"
    else
      note="built in ${binary_source}"
      changed=1
    fi
  fi
  local required
  for required in kube-lite virtctl; do
    if [[ ! -x "$(binary_path "$required")" ]]; then
      note="$(binary_path "$required") is missing; build the project (cmake --build ${binary_source})"
      return 1
    fi
  done
  [[ -n "$note" ]] || note="using ${binary_source}"
}

virt_mode=""

step_libvirt() {
  if univirt_libvirtd_answers; then
    note="libvirtd already answers on ${UNIVIRT_LIBVIRT_URI}"
    if [[ -s "${run_dir}/libvirtd/libvirtd.pid" ]]; then
      note+=" (pid $(<"${run_dir}/libvirtd/libvirtd.pid"), started by an earlier up)"
    fi
  else
    local out
    # libvirtd must not inherit (and keep) our lock.
    if ! out="$(
      exec {UNIVIRT_PRIVATE_FD}>&-
      univirt_libvirtd_start "${run_dir}/libvirtd" 2>&1
    )"; then
      note="${out}"
      return 1
    fi
    note="started libvirtd (pid $(<"${run_dir}/libvirtd/libvirtd.pid"))"
    changed=1
  fi
  if univirt_kvm_usable; then
    virt_mode=kvm
    note+="; guests use KVM"
  else
    virt_mode=qemu
    note+="; guests use QEMU TCG emulation (no usable /dev/kvm)"
  fi
}

kube_lite_url() {
  local bound
  bound="$(cat "${run_dir}/kube-lite.port" 2>/dev/null || true)"
  [[ -n "$bound" ]] || return 1
  printf 'https://127.0.0.1:%s' "$bound"
}

kube_lite_ready() {
  local url
  url="$(kube_lite_url)" || return 1
  curl -ksSf -o /dev/null --max-time 2 "${url}/readyz" 2>/dev/null
}

step_kube_lite() {
  if univirt_pid_of "${run_dir}/kube-lite.pid" univirt-kube-lite >/dev/null && kube_lite_ready; then
    note="already serving on $(kube_lite_url)"
    return 0
  fi
  univirt_stop "${run_dir}/kube-lite.pid" univirt-kube-lite
  rm -f "${run_dir}/kube-lite.port"
  mkdir -p "${data_dir}/kube-lite"
  univirt_spawn "${run_dir}/kube-lite.pid" "${log_dir}/kube-lite.log" \
    "$(binary_path kube-lite)" --data-dir "${data_dir}/kube-lite" --bind-address 127.0.0.1 \
    --port "$port" --port-file "${run_dir}/kube-lite.port" --write-kubeconfig "$kubeconfig"
  local deadline=$((SECONDS + KUBE_LITE_READY_S))
  until kube_lite_ready; do
    if ! univirt_alive "${run_dir}/kube-lite.pid" ||
      ((SECONDS > deadline)); then
      note="univirt-kube-lite did not become ready; the end of ${log_dir}/kube-lite.log:
$(tail -n 15 "${log_dir}/kube-lite.log")
A port in use shows as 'Address already in use': pick another with --port."
      return 1
    fi
    sleep 0.2
  done
  note="serving on $(kube_lite_url) (pid $(<"${run_dir}/kube-lite.pid")), kubeconfig ${kubeconfig}"
  changed=1
}

step_node() {
  if ! command -v kubectl >/dev/null; then
    note="kubectl is not installed (Debian 12 does not package it). Install kubectl 1.27-1.33
(https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/) and run up again."
    return 1
  fi
  if kc get node "$node_name" -o name >/dev/null 2>&1; then
    note="Node ${node_name} registered"
    return 0
  fi
  local out
  if ! out="$(kc create -f - 2>&1 <<NODE
apiVersion: v1
kind: Node
metadata:
  name: ${node_name}
  labels:
    kubernetes.io/hostname: ${node_name}
    kubernetes.io/os: linux
    univirt.doslab.io/standalone: "true"
NODE
)"; then
    note="registering the Node failed: ${out}"
    return 1
  fi
  note="registered this host as Node ${node_name}"
  changed=1
}

crd_versions() {
  kc get crd -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}' \
    2>/dev/null | sort
}

step_crds() {
  local file before after out
  file="$(crd_file)"
  before="$(crd_versions)"
  if ! out="$(kc apply --server-side --force-conflicts --field-manager=univirt-standalone \
    -f "$file" 2>&1)"; then
    note="applying ${file} failed: ${out}"
    return 1
  fi
  if ! out="$(kc wait --for condition=Established crd --all --timeout=30s 2>&1)"; then
    note="the CRDs were not established: ${out}"
    return 1
  fi
  after="$(crd_versions)"
  local count
  count="$(grep -c . <<<"$after")"
  if [[ "$before" == "$after" ]]; then
    note="${count} CRDs up to date"
  else
    note="applied ${count} CRDs from ${file}"
    changed=1
  fi
}

# The daemon's command line. Values come from our own options (validated), never from objects.
daemon_argv() {
  local daemon="$1"
  argv=("$(binary_path "$daemon")" --config "" --kubeconfig "$kubeconfig" --node-name "$node_name")
  case "$daemon" in
    virtctl)
      argv+=(--path-roots "/var/lib/libvirt,/var/lib/univirt,/mnt,${data_dir}"
        --device-dir "${data_dir}/devices")
      [[ "$virt_mode" == kvm ]] || argv+=(--allow-qemu-fallback)
      ;;
    virtmonitor) argv+=(--metrics-address 127.0.0.1:19998) ;;
  esac
}

step_daemon() {
  local daemon="$1" url
  if [[ ! -x "$(binary_path "$daemon")" ]]; then
    note="skipped: univirt-${daemon} is not part of this build"
    return 0
  fi
  url="$(univirt_daemon_ready_url "$daemon")"
  if univirt_pid_of "${run_dir}/${daemon}.pid" "univirt-${daemon}" >/dev/null &&
    curl -sSf -o /dev/null --max-time 2 "$url" 2>/dev/null; then
    note="already ready (pid $(<"${run_dir}/${daemon}.pid"))"
    return 0
  fi
  univirt_stop "${run_dir}/${daemon}.pid" "univirt-${daemon}"
  mkdir -p "${data_dir}/devices" "${data_dir}/disks"
  local argv
  daemon_argv "$daemon"
  univirt_spawn "${run_dir}/${daemon}.pid" "${log_dir}/${daemon}.log" "${argv[@]}"
  local deadline=$((SECONDS + DAEMON_READY_S))
  until curl -sSf -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! univirt_alive "${run_dir}/${daemon}.pid" ||
      ((SECONDS > deadline)); then
      note="univirt-${daemon} did not become ready at ${url}; the end of ${log_dir}/${daemon}.log:
$(tail -n 15 "${log_dir}/${daemon}.log")"
      return 1
    fi
    sleep 0.2
  done
  note="ready (pid $(<"${run_dir}/${daemon}.pid"), ${url%/*})"
  changed=1
}

cmd_up() {
  mkdir -p "$run_dir" "$log_dir"
  choose_binary_source
  printf '%s up: data in %s\n' "$PROGRAM" "$data_dir"
  step_count=$((6 + ${#DAEMONS[@]}))
  run_step packages step_packages
  run_step binaries step_binaries
  run_step libvirt step_libvirt
  run_step kube-lite step_kube_lite
  run_step node step_node
  run_step crds step_crds
  local daemon
  for daemon in "${DAEMONS[@]}"; do
    run_step "$daemon" step_daemon "$daemon"
  done
  if ((changed_steps == 0)); then
    printf '\nnothing to do: univirt standalone is already up.\n'
  else
    printf '\nunivirt standalone is up.\n'
  fi
  cat <<NEXT

Next:
  export KUBECONFIG=${kubeconfig}
  kubectl apply -f ${ROOT}/examples/vm-create.yaml
  kubectl get vm -o wide --watch
  ${PROGRAM} status | logs virtctl | down
NEXT
}
