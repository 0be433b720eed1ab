# shellcheck shell=bash
# installer/lib/libvirtd.sh — start and stop a libvirtd (+ virtlogd) where no service manager
# runs one: the standalone installer and the test suite's shared libvirtd fixture both source it.
#
#   univirt_libvirtd_answers                  libvirtd answers on qemu:///system
#   univirt_libvirtd_start STATE_DIR          start virtlogd/libvirtd unless one answers;
#                                             records what it started in STATE_DIR
#   univirt_libvirtd_stop STATE_DIR           stop exactly what start recorded
#   univirt_kvm_usable                        /dev/kvm can be opened and libvirt offers kvm
#
# It sets up what Debian's libvirt-daemon-system would have set up, without that package: its
# dependency libvirt-daemon-config-network autostarts libvirt's default network (a bridge with
# a private-range address), which univirt never needs. Nothing here creates a network.

readonly UNIVIRT_LIBVIRT_URI="qemu:///system"
readonly UNIVIRT_LIBVIRTD=/usr/sbin/libvirtd
readonly UNIVIRT_VIRTLOGD=/usr/sbin/virtlogd
# The first start probes QEMU's capabilities (~40 s on a busy 2-core machine); later ones ~1 s.
readonly UNIVIRT_LIBVIRTD_DEADLINE_S=180

univirt_libvirtd_answers() { virsh -c "$UNIVIRT_LIBVIRT_URI" version >/dev/null 2>&1; }

univirt_kvm_usable() {
  [[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]] || return 1
  virsh -c "$UNIVIRT_LIBVIRT_URI" domcapabilities --virttype kvm >/dev/null 2>&1
}

_univirt_wait_until_libvirtd_answers() {
  local deadline=$((SECONDS + UNIVIRT_LIBVIRTD_DEADLINE_S))
  until univirt_libvirtd_answers; do
    if ((SECONDS > deadline)); then
      echo "libvirtd did not answer on $UNIVIRT_LIBVIRT_URI within ${UNIVIRT_LIBVIRTD_DEADLINE_S}s;" \
        "its log: /var/log/libvirt/libvirtd.log" >&2
      tail -n 20 /var/log/libvirt/libvirtd.log >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

# Returns 0 once libvirtd answers. Writes STATE_DIR/libvirtd.pid (and virtlogd.pid) only for
# daemons it started itself, so that stop never touches a libvirtd somebody else runs.
univirt_libvirtd_start() {
  local state="$1"
  mkdir -p "$state"
  if univirt_libvirtd_answers; then
    return 0
  fi
  if [[ ! -x "$UNIVIRT_LIBVIRTD" ]] || ! command -v qemu-system-x86_64 >/dev/null; then
    echo "libvirtd or QEMU is not installed: apt-get install -y libvirt-daemon" \
      "libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils" >&2
    return 1
  fi
  # The QEMU driver runs guests as this user (Debian's build default).
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin \
      --user-group libvirt-qemu
  fi
  # Debian's udev rule gives /dev/kvm to group kvm (0660) and libvirt-daemon-system puts
  # libvirt-qemu in it. Where /dev/kvm is root-only, libvirtd probes QEMU as root (KVM works)
  # but checks /dev/kvm as libvirt-qemu (no KVM), finds its capability cache outdated and
  # probes again on every define: a minute each.
  if [[ -c /dev/kvm ]]; then
    getent group kvm >/dev/null || groupadd --system kvm
    chgrp kvm /dev/kvm
    chmod 0660 /dev/kvm
    local groups
    groups="$(id -nG libvirt-qemu)"
    [[ " ${groups} " == *" kvm "* ]] || usermod -aG kvm libvirt-qemu
  fi
  mkdir -p /var/log/libvirt /var/lib/libvirt /run/libvirt
  rm -f "$state/virtlogd.pid" "$state/libvirtd.pid"
  if [[ ! -S /run/libvirt/virtlogd-sock ]]; then
    "$UNIVIRT_VIRTLOGD" -d -p "$state/virtlogd.pid"
  fi
  "$UNIVIRT_LIBVIRTD" -d -p "$state/libvirtd.pid"
  _univirt_wait_until_libvirtd_answers || return 1
  # Warm the capability cache now rather than in the first define.
  virsh -c "$UNIVIRT_LIBVIRT_URI" domcapabilities --virttype qemu >/dev/null
}

# Sends SIGTERM to the pid in FILE, waits up to 30 s, then SIGKILL. Removes FILE.
univirt_stop_pid_file() {
  local pid_file="$1" pid
  [[ -s "$pid_file" ]] || { rm -f "$pid_file"; return 0; }
  pid="$(cat "$pid_file")"
  if kill -TERM "$pid" 2>/dev/null; then
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  fi
  rm -f "$pid_file"
}

univirt_libvirtd_stop() {
  local state="$1"
  univirt_stop_pid_file "$state/libvirtd.pid"
  univirt_stop_pid_file "$state/virtlogd.pid"
}
