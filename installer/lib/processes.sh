# shellcheck shell=bash
# installer/lib/processes.sh — background daemons without a service manager, tracked by pid
# files, shared by univirt-standalone and service-adm.
#
#   univirt_pid_of FILE NAME       prints the pid in FILE if that process still runs NAME
#                                  (a recycled pid running something else does not count)
#   univirt_spawn FILE LOG ARGV... starts ARGV detached (own session, stdin /dev/null, output
#                                  appended to LOG) and records its pid in FILE; the file
#                                  descriptor in UNIVIRT_PRIVATE_FD (a caller's lock) is not
#                                  inherited
#   univirt_alive FILE             the process univirt_spawn recorded in FILE still exists
#                                  (right after the spawn it may not have exec'd NAME yet)
#   univirt_stop FILE NAME         SIGTERM, up to 30 s, then SIGKILL; removes FILE
#   univirt_wait_http URL SECONDS  until URL answers 2xx (curl -k)

univirt_pid_of() {
  local file="$1" name="$2" pid
  [[ -s "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  # argv[0] of the process, as exec'd (a path ending in NAME).
  local argv0
  argv0="$(tr '\0' '\n' <"/proc/${pid}/cmdline" | head -n 1)"
  [[ "$(basename -- "$argv0")" == "$name" ]] || return 1
  printf '%s\n' "$pid"
}

univirt_spawn() {
  local file="$1" log="$2"
  shift 2
  mkdir -p "$(dirname "$file")" "$(dirname "$log")"
  printf '\n--- %s started: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$log"
  (
    if [[ -n "${UNIVIRT_PRIVATE_FD:-}" ]]; then
      exec {UNIVIRT_PRIVATE_FD}>&-
    fi
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
  printf '%s\n' "$!" >"$file"
}

univirt_alive() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

univirt_stop() {
  local file="$1" name="$2" pid
  if pid="$(univirt_pid_of "$file" "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  fi
  rm -f "$file"
}

univirt_wait_http() {
  local url="$1" seconds="$2"
  local deadline=$((SECONDS + seconds))
  until curl -ksSf -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    ((SECONDS <= deadline)) || return 1
    sleep 0.2
  done
}
