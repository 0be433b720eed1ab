#!/usr/bin/env bash
# libvirtd_fixture.sh start|stop STATE_DIR — the real libvirtd (QEMU/TCG) that the
# RealLibvirtd-tier tests share, started once per ctest run (FIXTURES_SETUP) and stopped at its
# end (FIXTURES_CLEANUP). A libvirtd that already answers on qemu:///system is used as it is and
# never stopped. Starting and stopping are installer/lib/libvirtd.sh's, the same code
# `univirt-standalone up` runs.
set -euo pipefail

# shellcheck source=../../../installer/lib/libvirtd.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../installer/lib/libvirtd.sh"

log() { printf 'libvirtd_fixture: %s\n' "$*"; }

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}

start() {
  local state="$1"
  mkdir -p "$state"
  if [[ ! -x "$UNIVIRT_LIBVIRTD" ]] || ! command -v qemu-system-x86_64 >/dev/null; then
    # The tests skip, naming the missing packages.
    log "libvirt-daemon or qemu-system-x86 is not installed; RealLibvirtd tests will skip"
    return 0
  fi
  if univirt_libvirtd_answers; then
    log "using the libvirtd already running on $UNIVIRT_LIBVIRT_URI"
    return 0
  fi
  univirt_libvirtd_start "$state"
  log "libvirtd started (pid $(cat "$state/libvirtd.pid"))"
}

stop() {
  local state="$1"
  [[ -s "$state/libvirtd.pid" ]] || return 0
  # Domains the tests left behind (they clean up after themselves; this is for crashes).
  local name
  while read -r name; do
    [[ -n "$name" ]] || continue
    virsh -c "$UNIVIRT_LIBVIRT_URI" destroy "$name" >/dev/null 2>&1 || true
    virsh -c "$UNIVIRT_LIBVIRT_URI" undefine "$name" >/dev/null 2>&1 || true
  done < <(virsh -c "$UNIVIRT_LIBVIRT_URI" list --all --name 2>/dev/null | grep '^uvt-' || true)
  univirt_libvirtd_stop "$state"
  log "libvirtd stopped"
}

main() {
  (($# == 2)) || usage
  case "$1" in
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) usage ;;
  esac
}

main "$@"
