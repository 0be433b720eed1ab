#!/usr/bin/env bash
# libvirtd_node.sh STATE_DIR ADDRESS — one "node" of the two-node migration test: virtlogd and
# libvirtd with their own configuration and state under STATE_DIR, listening for plain TCP
# (no auth) on ADDRESS only. Run it inside the node's network namespace and a private mount
# namespace (ip netns exec NS unshare -m --propagation private ...): the libvirt directories are
# bind-mounted from STATE_DIR there, so the node neither sees nor touches the host's libvirt.
# libvirtd runs in the foreground; the caller backgrounds this script and kills it.
set -euo pipefail

readonly STATE_DIR="$1" ADDRESS="$2"
readonly LIBVIRT_DIRS=(/run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt)

for dir in "${LIBVIRT_DIRS[@]}"; do
  mkdir -p "${STATE_DIR}${dir}"
done
cp -a /etc/libvirt/. "${STATE_DIR}/etc/libvirt/"
cat >"${STATE_DIR}/etc/libvirt/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
listen_addr = "${ADDRESS}"
CONF
# No cgroups: both nodes share the host's cgroup tree, where the migrating domain's cgroup
# would exist twice under one name. The migration stream goes to this node's address.
cat >>"${STATE_DIR}/etc/libvirt/qemu.conf" <<CONF
cgroup_controllers = [ ]
migration_address = "${ADDRESS}"
migration_host = "${ADDRESS}"
vnc_listen = "127.0.0.1"
CONF
for dir in "${LIBVIRT_DIRS[@]}"; do
  mount --bind "${STATE_DIR}${dir}" "$dir"
done
ip link set lo up
/usr/sbin/virtlogd -d -p "${STATE_DIR}/virtlogd.pid"
exec /usr/sbin/libvirtd --listen -f /etc/libvirt/libvirtd.conf -p "${STATE_DIR}/libvirtd.pid"
