#!/bin/bash
# debian-root.sh — print the path of a cached Debian 12 root filesystem tarball holding the
# essential set plus the given packages, building it with mmdebstrap on first use.
#
# Usage: images/debian-root.sh [--cache-dir DIR] [--mirror URL] PACKAGE...
#
# The tarball is keyed by the suite, the variant and the sorted package list, so every
# consumer asking for the same list (the chroot install test, the image build, bench) shares
# one download. Docs, man pages and locales are left out of the root (dpkg path-exclude);
# the exclusion file stays in the root, delete /etc/dpkg/dpkg.cfg.d/99mmdebstrap to undo it.
# Cache dir: $UNIVIRT_CACHE_DIR, else ${XDG_CACHE_HOME:-/var/cache}/univirt.
set -euo pipefail

cache_dir="${UNIVIRT_CACHE_DIR:-${XDG_CACHE_HOME:-/var/cache}/univirt}"
mirror="${UNIVIRT_DEBIAN_MIRROR:-}"
suite=bookworm
variant=essential
packages=()
while (($#)); do
  case "$1" in
    --cache-dir) cache_dir="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "debian-root.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
    *) packages+=("$1"); shift ;;
  esac
done

command -v mmdebstrap >/dev/null || {
  echo "debian-root.sh: mmdebstrap not found; install it with 'apt-get install mmdebstrap'" >&2
  exit 2
}

sorted="$(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ')"
key="$(printf '%s|%s|%s|v2' "$suite" "$variant" "$sorted" | sha256sum | cut -c1-16)"
out="$cache_dir/rootfs/$suite-$variant-$key.tar"
if [[ -s "$out" ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache_dir/rootfs"
tmp="$out.partial.$$"
trap 'rm -f "$tmp"' EXIT
start=$SECONDS
# The customize hook's $1 (the root) is expanded by mmdebstrap, not here.
# shellcheck disable=SC2016
# The merged-usr hook sets up merged /usr itself and installs usr-is-merged, so apt does not
# pick usrmerge for init-system-helpers (usrmerge pulls in the full perl: ~50 MB).
args=(--variant="$variant" --format=tar --mode=root
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*'
      --aptopt='APT::Install-Recommends "false"'
      --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*')
if ((${#packages[@]})); then
  args+=(--include="$(printf '%s,' "${packages[@]}" | sed 's/,$//')")
fi
if [[ -n "$mirror" ]]; then
  mmdebstrap "${args[@]}" "$suite" "$tmp" "$mirror" >&2
else
  mmdebstrap "${args[@]}" "$suite" "$tmp" >&2
fi
mv "$tmp" "$out"
trap - EXIT
printf '%s\n' "$sorted" >"$out.packages"
echo "debian-root.sh: built $out in $((SECONDS - start)) s" >&2
echo "$out"
