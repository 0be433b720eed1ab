# shellcheck shell=bash
# installer/lib/service_adm_node.sh — taking a node out of the virt-tool DaemonSet (cluster mode)
# or off its packaged units (host mode) for service-adm, and putting it back. What was changed
# is written to the state file before it is changed, so that stop, a failed start, or `status`
# after a killed run can undo exactly that.
#
#   take_node_out                  sets `note`; non-zero on failure
#   put_node_back                  undoes what the state file records; idempotent
#   repair_node_if_abandoned       put_node_back when the run that took the node out is gone
#   node_state_line                one line for status
#   owner_alive PID                that service-adm run is still going

kc() { kubectl --kubeconfig "$kubeconfig" "$@"; }

state_get() {
  [[ -f "$state_file" ]] || return 1
  sed -n "s/^$1=//p" "$state_file" | head -n 1
}

write_state() {
  mkdir -p "$state_dir"
  printf '%s\n' "$@" >"${state_file}.tmp"
  mv -f "${state_file}.tmp" "$state_file"
}

node_label_keys() {
  # shellcheck disable=SC2016  # a Go template, not shell
  kc get node "$node_name" -o go-template='{{range $k, $v := .metadata.labels}}{{$k}}{{"\n"}}{{end}}'
}

daemonset_pod_on_node() {
  local app="$1" nodes
  nodes="$(kc get pods -n "$namespace" -l "app=${app}" \
    -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' 2>/dev/null || true)"
  grep -qxF "$node_name" <<<"$nodes"
}

take_node_out_of_cluster() {
  local keys label="" candidate
  if [[ -f "$state_file" ]]; then
    label="$(state_get label || true)"
  else
    if ! keys="$(node_label_keys 2>&1)"; then
      note="cannot read Node ${node_name}: ${keys}"
      return 1
    fi
    for candidate in "${LABELS[@]}"; do
      if grep -qxF "$candidate" <<<"$keys"; then
        label="$candidate"
        break
      fi
    done
    # Recorded before the label goes, so that no exit path can forget to put it back.
    write_state "mode=cluster" "label=${label}" "owner=$$"
    if [[ -n "$label" ]]; then
      local out
      if ! out="$(kc label node "$node_name" "${label}-" 2>&1)"; then
        note="removing label ${label} from Node ${node_name} failed: ${out}"
        return 1
      fi
      say "removed label ${label} from Node ${node_name}"
    else
      say "Node ${node_name} has no virt-tool label: no DaemonSet pod runs here"
    fi
  fi
  [[ -n "$label" ]] || return 0
  local app="virt-tool-${label##*.}" deadline=$((SECONDS + pod_timeout))
  while daemonset_pod_on_node "$app"; do
    if ((SECONDS > deadline)); then
      note="the ${app} pod still runs on ${node_name} after ${pod_timeout} s; is the DaemonSet controller running? (kubectl -n ${namespace} get pods -o wide)"
      return 1
    fi
    sleep 0.5
  done
  say "the ${app} pod has left ${node_name}"
}

take_node_off_units() {
  local daemon unit units=()
  if [[ -f "$state_file" ]]; then
    return 0
  fi
  for daemon in "${DAEMONS[@]}"; do
    unit="univirt-${daemon}.service"
    systemctl is-active --quiet "$unit" && units+=("$unit")
  done
  write_state "mode=host" "units=${units[*]}" "owner=$$"
  if ((${#units[@]})); then
    systemctl stop "${units[@]}" || {
      note="systemctl stop ${units[*]} failed"
      return 1
    }
    say "stopped ${units[*]}"
  fi
}

take_node_out() {
  if [[ "$mode" == host ]]; then
    take_node_off_units
  else
    take_node_out_of_cluster
  fi
}

put_node_back() {
  [[ -f "$state_file" ]] || return 0
  local recorded_mode
  recorded_mode="$(state_get mode || true)"
  if [[ "$recorded_mode" == host ]]; then
    local units
    read -r -a units <<<"$(state_get units || true)"
    if ((${#units[@]})) && ! systemctl start "${units[@]}"; then
      say "could not start ${units[*]} again; start them by hand" >&2
      return 1
    fi
    ((${#units[@]} == 0)) || say "started ${units[*]} again"
  else
    local label out
    label="$(state_get label || true)"
    if [[ -n "$label" ]]; then
      if ! out="$(kc label node "$node_name" "${label}=" --overwrite 2>&1)"; then
        say "could not put label ${label} back on Node ${node_name}: ${out}; '${PROGRAM} status' retries" >&2
        return 1
      fi
      say "put label ${label} back on Node ${node_name}"
    fi
  fi
  rm -f "$state_file"
}

# The service-adm run recorded as the state's owner still runs (not a recycled pid).
owner_alive() {
  local owner="$1"
  [[ "$owner" =~ ^[0-9]+$ && -r "/proc/${owner}/cmdline" ]] || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/${owner}/cmdline")"
  [[ "$cmdline" == *"$PROGRAM"* ]]
}

any_daemon_running() {
  local daemon
  for daemon in "${DAEMONS[@]}"; do
    univirt_pid_of "$(pid_file "$daemon")" "univirt-${daemon}" >/dev/null && return 0
  done
  return 1
}

repair_node_if_abandoned() {
  [[ -f "$state_file" ]] || return 0
  local owner
  owner="$(state_get owner || true)"
  if owner_alive "$owner"; then
    return 0  # a start is still in progress
  fi
  any_daemon_running && return 0
  say "repairing: a run that was killed left Node ${node_name} out of the DaemonSet and no debug daemon runs"
  put_node_back || true
}

node_state_line() {
  if [[ "$mode" == host ]]; then
    if [[ -f "$state_file" ]]; then
      printf 'host mode: units %s stopped for debugging' "$(state_get units || true)"
    else
      printf 'host mode: packaged units in charge'
    fi
    return 0
  fi
  local keys label
  if ! keys="$(node_label_keys 2>/dev/null)"; then
    printf 'Node %s: cannot be read through %s' "$node_name" "$kubeconfig"
    return 0
  fi
  for label in "${LABELS[@]}"; do
    if grep -qxF "$label" <<<"$keys"; then
      printf 'Node %s: in the DaemonSet (label %s)' "$node_name" "$label"
      return 0
    fi
  done
  if [[ -f "$state_file" ]]; then
    printf 'Node %s: out of the DaemonSet for debugging (label %s removed by %s)' "$node_name" \
      "$(state_get label || true)" "$PROGRAM"
  else
    printf 'Node %s: no virt-tool label' "$node_name"
  fi
}
