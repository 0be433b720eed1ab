# shellcheck shell=bash
# installer/lib/offline_serve.sh — the servers univirt-offline-install runs when a site has no
# Nexus: the bundle's apt/yum repositories over HTTP (installer/offline-repo-server) and Debian's
# docker-registry. Both are tracked by pid files under ${data_dir}/run and reused when they
# already serve what is wanted, so running the installer again starts nothing new.
#
#   offline_repo_server_up ADDR PORT ROOT MAP...   serve ROOT's repositories (MAP: NAME=DIR);
#                                                  sets note/changed
#   offline_registry_up ADDR PORT                  docker-registry with its data in
#                                                  ${data_dir}/registry; sets note/changed
#   offline_servers_down                           stops both (nothing else)
#
# Uses from the caller: ROOT (source tree or installed prefix), data_dir, and processes.sh.

readonly OFFLINE_SERVER_READY_S=20

# Prints the JSON status of an offline-repo-server on ADDR:PORT, or fails.
offline_repo_status() {
  curl -sSf --max-time 2 "http://$1:$2/univirt-offline/status" 2>/dev/null
}

# The root directory named in a status answer (stdin).
offline_status_root() {
  python3 -c 'import json,sys; print(json.load(sys.stdin)["root"])'
}

# A process still running whose command line contains the word WORD (pid files of Python
# scripts name python3 as argv[0], so univirt_pid_of does not fit them).
offline_pid_running() {
  local file="$1" word="$2" pid
  [[ -s "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' '\n' <"/proc/${pid}/cmdline" | grep -xF -- "$word" >/dev/null || return 1
  printf '%s\n' "$pid"
}

offline_kill_pid() {
  local pid="$1" deadline=$((SECONDS + 30))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
}

offline_repo_server_up() {
  local addr="$1" port="$2" served_root="$3"
  shift 3
  local server="${ROOT}/installer/offline-repo-server"
  [[ -x "$server" ]] || server="$(command -v offline-repo-server || true)"
  [[ -n "$server" ]] || { note="offline-repo-server not found next to ${PROGRAM} or on PATH"; return 1; }
  local pid_file="${data_dir}/run/repo-server.pid" log="${data_dir}/log/repo-server.log"
  local status served
  if status="$(offline_repo_status "$addr" "$port")"; then
    served="$(offline_status_root <<<"$status")"
    if [[ "$served" == "$served_root" ]]; then
      note="reused: http://${addr}:${port}/repository/ already serves ${served_root}"
      return 0
    fi
    # Ours, serving another bundle version: replace it.
    local pid
    if pid="$(offline_pid_running "$pid_file" "$server")"; then
      offline_kill_pid "$pid"
    else
      note="http://${addr}:${port}/ is served by another offline-repo-server (for ${served})"
      note+=", not by the one ${pid_file} records; stop it or use --repo-port"
      return 1
    fi
  fi
  local argv=("$server" --listen "$addr" --port "$port" --root "$served_root")
  local mapping
  for mapping in "$@"; do
    argv+=(--map "$mapping")
  done
  univirt_spawn "$pid_file" "$log" "${argv[@]}"
  local deadline=$((SECONDS + OFFLINE_SERVER_READY_S))
  until status="$(offline_repo_status "$addr" "$port")" &&
    [[ "$(offline_status_root <<<"$status")" == "$served_root" ]]; do
    if ! univirt_alive "$pid_file" || ((SECONDS > deadline)); then
      note="offline-repo-server did not come up on ${addr}:${port}; its log ${log} ends with:
$(tail -n 5 "$log" 2>/dev/null)"
      return 1
    fi
    sleep 0.1
  done
  changed=1
  note="started: http://${addr}:${port}/repository/{$(IFS=,; printf '%s' "${*%%=*}")}/ (pid $(<"$pid_file"))"
}

offline_registry_config() {
  local addr="$1" port="$2"
  cat <<CONFIG
# Written by univirt-offline-install: the offline bundle's image registry.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: ${data_dir}/registry/data
  delete:
    enabled: false
http:
  addr: ${addr}:${port}
CONFIG
}

offline_registry_up() {
  local addr="$1" port="$2"
  local dir="${data_dir}/registry" pid_file="${data_dir}/run/registry.pid"
  local log="${data_dir}/log/registry.log" config="${data_dir}/registry/config.yml"
  command -v docker-registry >/dev/null ||
    { note="docker-registry is not installed (Debian package docker-registry)"; return 1; }
  mkdir -p "${dir}/data"
  local wanted
  wanted="$(offline_registry_config "$addr" "$port")"
  local pid=""
  pid="$(univirt_pid_of "$pid_file" docker-registry)" || pid=""
  if [[ -n "$pid" && "$(cat "$config" 2>/dev/null)" == "$wanted" ]] &&
    curl -sSf --max-time 2 -o /dev/null "http://${addr}:${port}/v2/" 2>/dev/null; then
    note="reused: registry http://${addr}:${port}/v2/ (pid ${pid})"
    return 0
  fi
  if [[ -n "$pid" ]]; then
    univirt_stop "$pid_file" docker-registry
  fi
  if curl -sS --max-time 2 -o /dev/null "http://${addr}:${port}/" 2>/dev/null; then
    note="${addr}:${port} is already in use by a server ${PROGRAM} did not start; stop it or use --registry-port"
    return 1
  fi
  printf '%s\n' "$wanted" >"$config"
  univirt_spawn "$pid_file" "$log" docker-registry serve "$config"
  local deadline=$((SECONDS + OFFLINE_SERVER_READY_S))
  until curl -sSf --max-time 2 -o /dev/null "http://${addr}:${port}/v2/" 2>/dev/null; do
    if ! univirt_alive "$pid_file" || ((SECONDS > deadline)); then
      note="docker-registry did not come up on ${addr}:${port}; its log ${log} ends with:
$(tail -n 5 "$log" 2>/dev/null)"
      return 1
    fi
    sleep 0.1
  done
  changed=1
  note="started: registry http://${addr}:${port}/v2/ (pid $(<"$pid_file"), data ${dir}/data)"
}

offline_servers_down() {
  local server="${ROOT}/installer/offline-repo-server" pid stopped=()
  [[ -x "$server" ]] || server="$(command -v offline-repo-server || true)"
  if [[ -n "$server" ]] && pid="$(offline_pid_running "${data_dir}/run/repo-server.pid" "$server")"; then
    offline_kill_pid "$pid"
    stopped+=("offline-repo-server (pid ${pid})")
  fi
  rm -f "${data_dir}/run/repo-server.pid"
  if pid="$(univirt_pid_of "${data_dir}/run/registry.pid" docker-registry)"; then
    univirt_stop "${data_dir}/run/registry.pid" docker-registry
    stopped+=("docker-registry (pid ${pid})")
  fi
  rm -f "${data_dir}/run/registry.pid"
  if ((${#stopped[@]})); then
    printf 'stopped: %s\n' "${stopped[@]}"
  else
    printf 'nothing was running\n'
  fi
}
