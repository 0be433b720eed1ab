#!/usr/bin/env bash
# libvirtd_fixture.sh start|stop STATE_DIR [OVS_BRIDGE] — the real libvirtd (QEMU/TCG) that the
# RealLibvirtd-tier tests share, started once per ctest run (FIXTURES_SETUP) and stopped at its
# end (FIXTURES_CLEANUP). A libvirtd that already answers on qemu:///system is used as it is and
# never stopped. Starting and stopping are installer/lib/libvirtd.sh's, the same code
# `univirt-standalone up` runs.
#
# With OVS_BRIDGE (and Debian's openvswitch-switch installed) it first starts an Open vSwitch
# in STATE_DIR/ovs: an ovsdb-server on STATE_DIR/ovs/db.sock and an ovs-vswitchd with the
# userspace (netdev) datapath — no kernel module — and creates the bridge OVS_BRIDGE on it, with
# no address (IPv6 is switched off on its device) and no uplink: nothing it carries can leave
# the machine. libvirtd is started with OVS_RUNDIR=STATE_DIR/ovs, so the `ovs-vsctl` it runs
# for <virtualport type='openvswitch'/> reaches this database. STATE_DIR/ovs/libvirtd-attached
# is written only then: a libvirtd somebody else started does not know this rundir, and the
# tests that need it skip, saying so.
set -euo pipefail

# shellcheck source=../../../installer/lib/libvirtd.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../installer/lib/libvirtd.sh"

readonly OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

log() { printf 'libvirtd_fixture: %s\n' "$*"; }

usage() {
  echo "usage: $0 start|stop STATE_DIR [OVS_BRIDGE]  (ovs-start RUNDIR BRIDGE: internal)" >&2
  exit 2
}

ovs_installed() {
  command -v ovsdb-server >/dev/null && command -v ovs-vswitchd >/dev/null &&
    command -v ovs-vsctl >/dev/null && [[ -r "$OVS_SCHEMA" ]]
}

ovs_stop() {
  local rundir="$1"
  [[ -d "$rundir" ]] || return 0
  local bridge=""
  [[ -s "$rundir/bridge" ]] && bridge="$(cat "$rundir/bridge")"
  if [[ -n "$bridge" && -S "$rundir/db.sock" && -s "$rundir/ovs-vswitchd.pid" ]]; then
    # Removes the bridge's device before ovs-vswitchd goes.
    ovs-vsctl "--db=unix:$rundir/db.sock" --timeout=10 --if-exists del-br "$bridge" || true
  fi
  univirt_stop_pid_file "$rundir/ovs-vswitchd.pid"
  univirt_stop_pid_file "$rundir/ovsdb-server.pid"
  # ovs-vswitchd leaves a userspace bridge's tap device behind when it was not deleted first.
  if [[ -n "$bridge" ]] && ip link show "$bridge" >/dev/null 2>&1; then
    ip link delete "$bridge" || true
  fi
  rm -f "$rundir/libvirtd-attached" "$rundir/ready"
}

ovs_start() {
  local rundir="$1" bridge="$2"
  ovs_stop "$rundir"
  rm -rf "$rundir"
  mkdir -p "$rundir"
  local db="unix:$rundir/db.sock"
  ovsdb-tool create "$rundir/conf.db" "$OVS_SCHEMA"
  OVS_RUNDIR="$rundir" ovsdb-server "$rundir/conf.db" "--remote=punix:$rundir/db.sock" \
    "--unixctl=$rundir/ovsdb-server.ctl" "--pidfile=$rundir/ovsdb-server.pid" \
    "--log-file=$rundir/ovsdb-server.log" --detach
  ovs-vsctl "--db=$db" --no-wait init
  OVS_RUNDIR="$rundir" ovs-vswitchd "$db" "--unixctl=$rundir/ovs-vswitchd.ctl" \
    "--pidfile=$rundir/ovs-vswitchd.pid" "--log-file=$rundir/ovs-vswitchd.log" --detach
  printf '%s\n' "$bridge" >"$rundir/bridge"
  # Without --no-wait ovs-vsctl returns once ovs-vswitchd has made the bridge (or times out).
  ovs-vsctl "--db=$db" --timeout=60 -- --may-exist add-br "$bridge" \
    -- set Bridge "$bridge" datapath_type=netdev
  # ovs-vswitchd reports a bridge it could not make only in its log.
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    echo "ovs-vswitchd made no device '$bridge':" >&2
    tail -n 5 "$rundir/ovs-vswitchd.log" >&2
    return 1
  fi
  if [[ -e "/proc/sys/net/ipv6/conf/$bridge/disable_ipv6" ]]; then
    echo 1 >"/proc/sys/net/ipv6/conf/$bridge/disable_ipv6"
  fi
  : >"$rundir/ready"
  log "Open vSwitch (netdev datapath) on $db with bridge $bridge"
}

start() {
  local state="$1" bridge="${2:-}"
  mkdir -p "$state"
  if [[ ! -x "$UNIVIRT_LIBVIRTD" ]] || ! command -v qemu-system-x86_64 >/dev/null; then
    # The tests skip, naming the missing packages.
    log "libvirt-daemon or qemu-system-x86 is not installed; RealLibvirtd tests will skip"
    return 0
  fi
  local rundir="$state/ovs"
  if [[ -n "$bridge" ]]; then
    if ovs_installed; then
      # In a process of its own, so that errexit stops it at its first failure; then the other
      # libvirtd tests still run and only the Open vSwitch NIC tests skip.
      if ! bash "${BASH_SOURCE[0]}" ovs-start "$rundir" "$bridge"; then
        log "Open vSwitch did not start (its logs: $rundir); the Open vSwitch NIC tests will skip"
        ovs_stop "$rundir"
      fi
    else
      ovs_stop "$rundir"
      log "openvswitch-switch is not installed; the Open vSwitch NIC tests will skip"
    fi
  fi
  if univirt_libvirtd_answers; then
    log "using the libvirtd already running on $UNIVIRT_LIBVIRT_URI" \
      "(it was not started with OVS_RUNDIR=$rundir: the Open vSwitch NIC tests will skip)"
    return 0
  fi
  if [[ -e "$rundir/ready" ]]; then
    OVS_RUNDIR="$rundir" univirt_libvirtd_start "$state"
    : >"$rundir/libvirtd-attached"
  else
    univirt_libvirtd_start "$state"
  fi
  log "libvirtd started (pid $(cat "$state/libvirtd.pid"))"
}

stop() {
  local state="$1"
  if [[ -s "$state/libvirtd.pid" ]]; then
    # Domains the tests left behind (they clean up after themselves; this is for crashes).
    local name
    while read -r name; do
      [[ -n "$name" ]] || continue
      virsh -c "$UNIVIRT_LIBVIRT_URI" destroy "$name" >/dev/null 2>&1 || true
      virsh -c "$UNIVIRT_LIBVIRT_URI" undefine "$name" >/dev/null 2>&1 || true
    done < <(virsh -c "$UNIVIRT_LIBVIRT_URI" list --all --name 2>/dev/null | grep '^uvt-' || true)
    univirt_libvirtd_stop "$state"
    log "libvirtd stopped"
  fi
  ovs_stop "$state/ovs"
}

main() {
  (($# == 2 || $# == 3)) || usage
  # Absolute: OVS resolves a relative unix socket path against its own rundir.
  local state
  state="$(realpath -m "$2")"
  case "$1" in
    start) start "$state" "${3:-}" ;;
    stop) stop "$state" ;;
    ovs-start) ovs_start "$state" "${3:?}" ;;
    *) usage ;;
  esac
}

main "$@"
