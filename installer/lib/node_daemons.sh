# shellcheck shell=bash
# installer/lib/node_daemons.sh — what univirt-standalone and service-adm both need to know about
# the node daemons.
#
#   univirt_daemon_ready_url DAEMON  the URL that answers 2xx once DAEMON is ready
#   univirt_in_tree_build DIR        prints the first configured build tree of DIR/build/release,
#                                    DIR/build/ci, DIR/build/dev; non-zero when there is none

# design.md: 19990 virtctl, 19991 virtlet, 19992 libvirtwatcher, 19993 virtmonitor (whose
# metrics are on 19998).
univirt_daemon_ready_url() {
  case "$1" in
    virtctl) printf 'http://127.0.0.1:19990/readyz' ;;
    virtlet) printf 'http://127.0.0.1:19991/readyz' ;;
    libvirtwatcher) printf 'http://127.0.0.1:19992/readyz' ;;
    virtmonitor) printf 'http://127.0.0.1:19993/readyz' ;;
    *) return 1 ;;
  esac
}

univirt_in_tree_build() {
  local source_dir="$1" preset
  for preset in release ci dev; do
    if [[ -f "${source_dir}/build/${preset}/CMakeCache.txt" ]]; then
      printf '%s' "${source_dir}/build/${preset}"
      return 0
    fi
  done
  return 1
}
