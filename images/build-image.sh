#!/bin/bash
# build-image.sh — build the univirt OCI image (all node daemons and CLIs) without a Docker
# daemon, from the .deb packages of this build.
#
# Usage: images/build-image.sh --debs DIR --output DIR [--tag TAG] [--revision SHA]
#                              [--source URL] [--cache-dir DIR]
#
#   --debs DIR      directory holding univirt-daemons_*.deb (and univirt-kube-lite_*.deb)
#   --output DIR    OCI image layout to (re)create; the image is tagged TAG in it
#   --tag TAG       image tag, default: the release version (v1.0.3.lab for package 1.0.3+lab)
#   --revision SHA  org.opencontainers.image.revision (default: git rev-parse HEAD)
#
# Layers (printed with their sizes at the end):
#   1. a Debian 12 root: the packages univirt's .debs depend on and their dependencies, cut by
#      images/slim-root.py from the root images/debian-root.sh makes with mmdebstrap (cached
#      on disk keyed by the package list, shared with the chroot install test); the
#      essential tools nothing needs at run time (shells, coreutils, dpkg, perl) are left out;
#   2. univirt: the files of univirt-daemons (dpkg-deb -x, docs left out except the
#      copyright), its dpkg record in /var/lib/dpkg/status.d and the SBOM
#      /usr/share/univirt/sbom.spdx.json (also written next to the layout as sbom.spdx.json).
# The image runs as nobody (65534) by default; the DaemonSet raises only the containers that
# need libvirt to root. Then push it with: skopeo copy oci:DIR:TAG docker://REGISTRY/NAME:TAG
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
debs="" output="" tag="" revision="" cache_args=()
source_url="https://github.com/kubesys/uni-virt"
while (($#)); do
  case "$1" in
    --debs) debs="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    --source) source_url="$2"; shift 2 ;;
    --cache-dir) cache_args=(--cache-dir "$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done
[[ -n "$debs" && -n "$output" ]] || { echo "build-image.sh: --debs and --output are required" >&2; exit 2; }
for tool in umoci mmdebstrap dpkg-deb; do
  command -v "$tool" >/dev/null || {
    echo "build-image.sh: '$tool' not found; install it with 'apt-get install $tool'" >&2; exit 2; }
done

shopt -s nullglob
daemons_deb=("$debs"/univirt-daemons_*.deb)
arch_debs=()
for deb in "$debs"/univirt-*.deb; do
  [[ "$(dpkg-deb -f "$deb" Architecture)" == all ]] || arch_debs+=("$deb")
done
((${#daemons_deb[@]} == 1)) || {
  echo "build-image.sh: expected exactly one univirt-daemons_*.deb in '$debs', found ${#daemons_deb[@]}; build the packages first (cmake --build BUILD --target packages)" >&2
  exit 2
}
deb="${daemons_deb[0]}"
version="$(dpkg-deb -f "$deb" Version)"
version="${version%-*}"                       # drop the Debian revision
if [[ -z "$tag" ]]; then                      # the release version, as upstream tags: v1.0.3.lab
  tag="${version//+/.}"
  tag="v${tag//\~/-}"
fi
[[ -n "$revision" ]] || revision="$(git -C "$here/.." rev-parse HEAD 2>/dev/null || echo unknown)"
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$here/.." log -1 --format=%ct 2>/dev/null || echo 0)}"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"

t0=$SECONDS
# One root for every arch-dependent package (the chroot install test asks for the same list).
mapfile -t packages < <("$here/runtime-packages.sh" "${arch_debs[@]}")
root_tar="$("$here/debian-root.sh" "${cache_args[@]}" "${packages[@]}")"
t_root=$((SECONDS - t0))

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/univirt"
mkdir -p "$stage"
dpkg-deb -x "$deb" "$stage"
# Documentation is left out as in the base layer; the copyright stays.
find "$stage/usr/share/doc" -type f ! -name copyright -delete 2>/dev/null || true
rm -rf "$stage/usr/share/man" "$stage/usr/share/lintian"
find "$stage" -depth -type d -empty -delete
mkdir -p "$stage/var/lib/dpkg/status.d" "$stage/usr/share/univirt"
{
  dpkg-deb -f "$deb"
  echo "Status: install ok installed"
} >"$stage/var/lib/dpkg/status.d/univirt-daemons"

# SBOM (SPDX 2.3): the Debian packages of the root plus univirt-daemons.
python3 "$here/slim-root.py" "$root_tar" "$work/root-layer.tar" "${packages[@]}"
tar -xOf "$work/root-layer.tar" ./var/lib/dpkg/status >"$work/status"
python3 "$here/sbom.py" --status "$work/status" --deb "$deb" --name "univirt:$tag" \
  --created "$created" >"$stage/usr/share/univirt/sbom.spdx.json"

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$stage" \
  -cf "$work/univirt-layer.tar" .

rm -rf "$output"
umoci init --layout "$output"
umoci new --image "$output:$tag"
umoci raw add-layer --image "$output:$tag" --history.created "$created" \
  --history.created_by "images/slim-root.py: Debian 12 runtime closure of ${#packages[@]} packages" \
  "$work/root-layer.tar"
umoci raw add-layer --image "$output:$tag" --history.created "$created" \
  --history.created_by "dpkg-deb -x $(basename "$deb")" "$work/univirt-layer.tar"
umoci config --image "$output:$tag" --created "$created" --author "univirt" \
  --architecture amd64 --os linux --config.user 65534:65534 --config.workingdir / \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.cmd /usr/bin/univirt-virtctl --config.cmd --help \
  --config.label "org.opencontainers.image.title=univirt" \
  --config.label "org.opencontainers.image.description=univirt node daemons (virtctl, virtlet, libvirtwatcher, virtmonitor) and CLIs" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.label "org.opencontainers.image.source=$source_url" \
  --config.label "org.opencontainers.image.created=$created" \
  --config.label "org.opencontainers.image.licenses=Apache-2.0" \
  --manifest.annotation "org.opencontainers.image.version=$version" \
  --manifest.annotation "org.opencontainers.image.revision=$revision" \
  --manifest.annotation "org.opencontainers.image.source=$source_url" \
  --no-history
umoci gc --layout "$output"
cp "$stage/usr/share/univirt/sbom.spdx.json" "$output/sbom.spdx.json"

echo "image $output:$tag built in $((SECONDS - t0)) s (root filesystem: $t_root s)"
python3 "$here/layer-sizes.py" "$output" "$tag"
