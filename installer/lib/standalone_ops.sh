# shellcheck shell=bash
# installer/lib/standalone_ops.sh — `down`, `status` and `logs` of univirt-standalone. They act
# only on what `up` recorded under the data directory (pid files in run/), never on processes
# somebody else started.

# The VirtualMachines of this node, one name per line ("namespace name").
node_vms() {
  kube_lite_ready || return 0
  command -v kubectl >/dev/null || return 0
  kc get vm --all-namespaces -l "host=${node_name}" \
    -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' 2>/dev/null ||
    true
}

# The storage pools of this node's VirtualMachinePools ("namespace name" per line).
node_pools() {
  kube_lite_ready || return 0
  command -v kubectl >/dev/null || return 0
  kc get vmp --all-namespaces -l "host=${node_name}" \
    -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' 2>/dev/null ||
    true
}

stop_vms() {
  local name stopped=0 undefined=0
  while read -r _ name; do
    [[ -n "$name" ]] || continue
    local state
    state="$(virsh -c "$UNIVIRT_LIBVIRT_URI" domstate -- "$name" 2>/dev/null || true)"
    if [[ -n "${state//[[:space:]]/}" && "$state" != *"shut off"* ]] &&
      virsh -c "$UNIVIRT_LIBVIRT_URI" destroy -- "$name" >/dev/null 2>&1; then
      stopped=$((stopped + 1))
    fi
    if ((purge)) && virsh -c "$UNIVIRT_LIBVIRT_URI" undefine --nvram -- "$name" >/dev/null 2>&1; then
      undefined=$((undefined + 1))
    fi
  done < <(node_vms)
  note="stopped ${stopped} VM(s)"
  if ((purge)); then
    note+=", undefined ${undefined}"
    # The pools' directories go with the data directory; their libvirt definitions go here.
    local pools=0
    while read -r _ name; do
      [[ -n "$name" ]] || continue
      virsh -c "$UNIVIRT_LIBVIRT_URI" pool-destroy -- "$name" >/dev/null 2>&1 || true
      if virsh -c "$UNIVIRT_LIBVIRT_URI" pool-undefine -- "$name" >/dev/null 2>&1; then
        pools=$((pools + 1))
      fi
    done < <(node_pools)
    note+=", undefined ${pools} storage pool(s)"
  fi
}

stop_recorded() {
  local daemon="$1" pid
  if pid="$(univirt_pid_of "${run_dir}/${daemon}.pid" "univirt-${daemon}")"; then
    univirt_stop "${run_dir}/${daemon}.pid" "univirt-${daemon}"
    note="stopped (pid ${pid})"
    changed=1
  else
    rm -f "${run_dir}/${daemon}.pid"
    note="not running"
  fi
}

stop_libvirtd() {
  if [[ -s "${run_dir}/libvirtd/libvirtd.pid" ]]; then
    univirt_libvirtd_stop "${run_dir}/libvirtd"
    note="stopped the libvirtd that up started"
    changed=1
  else
    note="left alone (up did not start it)"
  fi
}

purge_data() {
  rm -rf -- "$data_dir"
  note="removed ${data_dir}"
  changed=1
}

cmd_down() {
  if [[ ! -d "$run_dir" ]]; then
    printf '%s: nothing to stop (no %s)\n' "$PROGRAM" "$run_dir"
    if ((purge)); then
      rm -rf -- "$data_dir"
    fi
    return 0
  fi
  printf '%s down: data in %s%s\n' "$PROGRAM" "$data_dir" "$( ((purge)) && echo ' (purge)')"
  step_count=$((3 + ${#DAEMONS[@]} + purge))
  # The daemons go first: libvirtwatcher would restart a VM labelled ha that stops under it.
  local index
  for ((index = ${#DAEMONS[@]} - 1; index >= 0; index--)); do
    run_step "${DAEMONS[index]}" stop_recorded "${DAEMONS[index]}"
  done
  run_step "VMs" stop_vms
  run_step kube-lite stop_recorded kube-lite
  run_step libvirt stop_libvirtd
  rm -f "${run_dir}/kube-lite.port"
  if ((purge)); then
    run_step data purge_data
  fi
}

status_line() {
  printf '%-16s %-8s %-9s %s\n' "$@"
}

cmd_status() {
  local problems=0 pid state url daemon
  status_line COMPONENT PID STATE ADDRESS
  if univirt_libvirtd_answers; then
    local who="running"
    [[ -s "${run_dir}/libvirtd/libvirtd.pid" ]] && who="started by up"
    status_line libvirtd "$(cat "${run_dir}/libvirtd/libvirtd.pid" 2>/dev/null || echo -)" ready \
      "${UNIVIRT_LIBVIRT_URI} (${who})"
  else
    status_line libvirtd - down "${UNIVIRT_LIBVIRT_URI}"
    problems=1
  fi
  if pid="$(univirt_pid_of "${run_dir}/kube-lite.pid" univirt-kube-lite)"; then
    state=starting
    kube_lite_ready && state=ready
    status_line kube-lite "$pid" "$state" "$(kube_lite_url || echo -)"
    [[ "$state" == ready ]] || problems=1
  else
    status_line kube-lite - stopped -
    problems=1
  fi
  for daemon in "${DAEMONS[@]}"; do
    url="$(univirt_daemon_ready_url "$daemon")"
    if pid="$(univirt_pid_of "${run_dir}/${daemon}.pid" "univirt-${daemon}")"; then
      state=starting
      curl -sSf -o /dev/null --max-time 2 "$url" 2>/dev/null && state=ready
      status_line "$daemon" "$pid" "$state" "${url%/*}"
      [[ "$state" == ready ]] || problems=1
    elif [[ -e "${run_dir}/${daemon}.pid" ]]; then
      status_line "$daemon" - stopped "(exited; see ${PROGRAM} logs ${daemon})"
      problems=1
    fi
  done
  local vms
  vms="$(node_vms | grep -c . || true)"
  printf '\nnode %s, %s VirtualMachine(s); kubeconfig %s\n' "$node_name" "${vms:-0}" "$kubeconfig"
  # Like systemctl: 0 when everything runs, 3 when something does not.
  ((problems == 0)) || return 3
}

cmd_logs() {
  local files=()
  if [[ -n "$log_daemon" ]]; then
    local file="${log_dir}/${log_daemon}.log"
    if [[ ! -f "$file" ]]; then
      local known
      known="$(find "$log_dir" -maxdepth 1 -name '*.log' -printf '%f ' 2>/dev/null |
        sed 's/\.log//g')"
      die "no log for '${log_daemon}' in ${log_dir}; there are: ${known:-none}"
    fi
    files=("$file")
  else
    mapfile -t files < <(find "$log_dir" -maxdepth 1 -name '*.log' 2>/dev/null | sort)
    ((${#files[@]})) || die "no logs in ${log_dir}: run '${PROGRAM} up' first"
  fi
  if ((follow)); then
    exec tail -n 50 -F "${files[@]}"
  fi
  tail -n 100 "${files[@]}"
}
