#!/bin/bash
# runtime-packages.sh — print, one per line and sorted, the Debian packages the given .deb files
# depend on (Depends and Pre-Depends; versions dropped, first alternative kept, the given
# packages themselves left out). This list keys the cached root filesystem (debian-root.sh)
# shared by the image build and the chroot install test.
#
# Usage: images/runtime-packages.sh FILE.deb...
set -euo pipefail
(($#)) || { echo "usage: runtime-packages.sh FILE.deb..." >&2; exit 2; }
own=()
for deb in "$@"; do
  own+=("$(dpkg-deb -f "$deb" Package)")
done
for deb in "$@"; do
  dpkg-deb -f "$deb" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //'
done | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' |
  grep -v '^$' | grep -vxF -f <(printf '%s\n' "${own[@]}") | sort -u
