#!/usr/bin/env bash
# libvirtd_fixture.sh start|stop STATE_DIR — the real libvirtd (QEMU/TCG) that the
# RealLibvirtd-tier VirtualMachine tests share, started once per ctest run (FIXTURES_SETUP)
# and stopped at its end (FIXTURES_CLEANUP).
#
# A libvirtd that already answers on qemu:///system is used as it is and never stopped.
# Otherwise this starts virtlogd and libvirtd as the recipe does (shared/recipes.md), with
# what Debian's libvirt-daemon-system would have set up, without that package: its
# dependency libvirt-daemon-config-network would autostart libvirt's default network, which
# the tests must never start. Nothing here creates a network.
set -euo pipefail

readonly URI="qemu:///system"
readonly LIBVIRTD=/usr/sbin/libvirtd
readonly VIRTLOGD=/usr/sbin/virtlogd
# The first start probes QEMU's capabilities (~40 s on a busy 2-core machine); later ones ~1 s.
readonly START_DEADLINE_S=180

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}

log() { printf 'libvirtd_fixture: %s\n' "$*"; }

answers() { virsh -c "$URI" version >/dev/null 2>&1; }

wait_until_answers() {
  local deadline=$((SECONDS + START_DEADLINE_S))
  until answers; do
    if ((SECONDS > deadline)); then
      log "libvirtd did not answer on $URI within ${START_DEADLINE_S}s"
      tail -n 20 /var/log/libvirt/libvirtd.log 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

start() {
  local state="$1"
  mkdir -p "$state"
  rm -f "$state/started" "$state/virtlogd.pid" "$state/libvirtd.pid"
  if [[ ! -x "$LIBVIRTD" ]] || ! command -v qemu-system-x86_64 >/dev/null; then
    # The tests skip, naming the missing packages.
    log "libvirt-daemon or qemu-system-x86 is not installed; RealLibvirtd tests will skip"
    return 0
  fi
  if answers; then
    log "using the libvirtd already running on $URI"
    return 0
  fi
  # The QEMU driver runs guests as this user (Debian's build default); libvirt-daemon-system
  # would create it.
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin \
      --user-group libvirt-qemu
    log "created system user libvirt-qemu"
  fi
  # Debian's udev rule gives /dev/kvm to group kvm (0660) and libvirt-daemon-system puts
  # libvirt-qemu in it. Where /dev/kvm is root-only, libvirtd probes QEMU as root (KVM works)
  # but checks /dev/kvm as libvirt-qemu (no KVM), finds its capability cache outdated and
  # probes again on every define: a minute each.
  if [[ -c /dev/kvm ]]; then
    getent group kvm >/dev/null || groupadd --system kvm
    chgrp kvm /dev/kvm
    chmod 0660 /dev/kvm
    id -nG libvirt-qemu | grep -qw kvm || usermod -aG kvm libvirt-qemu
  fi
  mkdir -p /var/log/libvirt /var/lib/libvirt /run/libvirt
  if [[ ! -S /run/libvirt/virtlogd-sock ]]; then
    "$VIRTLOGD" -d -p "$state/virtlogd.pid"
  fi
  "$LIBVIRTD" -d -p "$state/libvirtd.pid"
  touch "$state/started"
  wait_until_answers
  # Warm the capability cache here, inside the fixture's time, not in the first test.
  virsh -c "$URI" domcapabilities --virttype qemu >/dev/null
  log "libvirtd started (pid $(cat "$state/libvirtd.pid"))"
}

stop_pid_file() {
  local pid_file="$1" pid
  [[ -s "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
}

stop() {
  local state="$1"
  [[ -e "$state/started" ]] || return 0
  # Domains the tests left behind (they clean up after themselves; this is for crashes).
  local name
  while read -r name; do
    [[ -n "$name" ]] || continue
    virsh -c "$URI" destroy "$name" >/dev/null 2>&1 || true
    virsh -c "$URI" undefine "$name" >/dev/null 2>&1 || true
  done < <(virsh -c "$URI" list --all --name 2>/dev/null | grep '^uvt-' || true)
  stop_pid_file "$state/libvirtd.pid"
  stop_pid_file "$state/virtlogd.pid"
  rm -f "$state/started"
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
