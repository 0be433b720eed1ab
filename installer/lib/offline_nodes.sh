# shellcheck shell=bash
# installer/lib/offline_nodes.sh — the node side of univirt-offline-install: the Ansible
# variables that point every node at the bundle's repositories and registry, the registry
# mirror drop-ins (offline_registry_mirror.yml next to this file) and the upstream playbooks
# run with offline=1.
#
#   offline_write_vars FILE      the extra-vars JSON for every playbook (from the globals below)
#   offline_run_playbook NAME    ansible-playbook of the bundle's (or this file's) playbook NAME;
#                                sets note/changed from its recap, keeps its log
#
# Uses from the caller: bundle_dir, version, server, repo_port, registry_port, kubeconfig,
# inventory, extra_vars (array), data_dir, apt_suite, apt_components (space-separated),
# apt_repo_name, yum_repo_name, image_namespace, crd_file.

# The playbooks in the order the upstream offline sequence runs them (distribution contract
# §4.4), with the registry mirror after the package sources.
readonly OFFLINE_PLAYBOOKS=(
  install_packages_and_dependencies.yml
  offline_registry_mirror.yml
  install_and_setup_chrony.yml
  config_root_ssh.yml
  label_k8s_nodes.yml
  install_uniVirt.yml
  create_comm_service_env.yml
)

offline_write_vars() {
  local file="$1"
  # JSON through python3 so that no value can break the quoting.
  python3 - "$file" "$version" "$server" "$repo_port" "$registry_port" "$kubeconfig" \
    "$apt_suite" "$apt_components" "$apt_repo_name" "$yum_repo_name" "$image_namespace" \
    "$crd_file" <<'PY'
import json
import sys

(file, version, server, repo_port, registry_port, kubeconfig, suite, components, apt_name,
 yum_name, namespace, crd_file) = sys.argv[1:]
base = f"http://{server}:{repo_port}/repository"
registry = f"{server}:{registry_port}"
values = {
    "offline": "1",
    "ver": version,
    "univirt_offline_server": server,
    # The bundle was verified (manifest signature and sha256 of every file) before it was
    # served; its apt indexes are unsigned, so apt trusts the source by its transport.
    "univirt_apt_repo_offline": {"url": f"{base}/{apt_name}", "suite": suite,
                                 "components": components.split(), "signed_by": ""},
    "univirt_yum_repo_offline": {"url": f"{base}/{yum_name}", "gpgkey": ""},
    "univirt_image_registry_offline": f"{registry}/{namespace}",
    "univirt_offline_registry": registry,
    "univirt_crd_file": crd_file,
}
if kubeconfig:
    values["univirt_kubeconfig"] = kubeconfig
with open(file, "w", encoding="utf-8") as out:
    json.dump(values, out, indent=2, sort_keys=True)
    out.write("\n")
PY
}

# Where playbook NAME is: the bundle's ansible/playbooks, or (the registry mirror) this library.
offline_playbook_path() {
  local name="$1"
  if [[ -f "${bundle_dir}/ansible/playbooks/${name}" ]]; then
    printf '%s\n' "${bundle_dir}/ansible/playbooks/${name}"
  elif [[ -f "${ROOT}/installer/lib/${name}" ]]; then
    printf '%s\n' "${ROOT}/installer/lib/${name}"
  else
    return 1
  fi
}

offline_run_playbook() {
  local name="$1" path
  path="$(offline_playbook_path "$name")" ||
    { note="playbook ${name} is in neither ${bundle_dir}/ansible/playbooks nor ${ROOT}/installer/lib"; return 1; }
  local log
  log="${data_dir}/log/$(date -u +%Y%m%dT%H%M%S)-${name%.yml}.log"
  local argv=(ansible-playbook -i "$inventory" -e "@${data_dir}/run/offline-vars.json")
  local extra
  for extra in "${extra_vars[@]}"; do
    argv+=(-e "$extra")
  done
  argv+=("$path")
  local config="${bundle_dir}/ansible/ansible.cfg"
  local rc=0
  if [[ -f "$config" ]]; then
    ANSIBLE_CONFIG="$config" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
      ANSIBLE_ROLES_PATH="${bundle_dir}/ansible/roles" "${argv[@]}" >"$log" 2>&1 || rc=$?
  else
    ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 "${argv[@]}" >"$log" 2>&1 || rc=$?
  fi
  if ((rc != 0)); then
    note="ansible-playbook ${name} exited ${rc}; the end of its log ${log}:
$(tail -n 25 "$log")"
    return 1
  fi
  # "host : ok=N changed=M ..." per host: the sum of M says whether anything changed.
  local changes
  changes="$(awk '/^[^ ]+ +: ok=[0-9]+ +changed=[0-9]+/ {split($4, c, "="); sum += c[2]; hosts++}
    END {printf "%d %d", sum, hosts}' "$log")"
  local sum="${changes% *}" hosts="${changes#* }"
  ((sum == 0)) || changed=1
  note="${hosts} host(s), changed=${sum} (log ${log})"
}
