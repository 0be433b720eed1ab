"""The Debian packages a minimal Debian 12 root lacks to install the univirt .debs.

"Minimal root" = what mmdebstrap --variant=minbase installs (Essential: yes and Priority:
required) plus apt. The closure is resolved by apt itself against a dpkg status file that
declares exactly that root installed, so alternatives and virtual packages are chosen the way
apt on the node will choose them; the files are fetched with apt-get through the machine's
configured Debian mirror.
"""

import glob
import os
import subprocess

from .errors import BundleError
from .util import require_tool

# Ansible drives the nodes with the system python3 and its apt module needs python3-apt.
DEFAULT_EXTRA = ("python3", "python3-apt")
# What install_and_setup_chrony.yml installs besides tzdata (which a minbase root has).
CHRONY_PACKAGES = ("chrony",)


def node_prerequisites(ansible_dir):
    """The Debian packages the playbooks install on a node before univirt's own: the host
    prerequisites of group_vars/all.yml (univirt_packages_debian: QEMU, libvirt, OVS, the Ceph
    client) and chrony. An offline site has no other source for them."""
    import yaml  # Debian's python3-yaml; only needed here

    path = os.path.join(ansible_dir, "group_vars", "all.yml")
    try:
        with open(path, encoding="utf-8") as f:
            group_vars = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as err:
        raise BundleError(f"cannot read the node prerequisites from '{path}': {err}; pass "
                          "--no-prerequisites and --extra-package instead") from err
    names = group_vars.get("univirt_packages_debian") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BundleError(f"'{path}': univirt_packages_debian is not a list of package names")
    return list(names) + list(CHRONY_PACKAGES)


def _stanzas(text):
    for block in text.split("\n\n"):
        if block.strip():
            yield block


def _field(stanza, name):
    prefix = name + ":"
    for line in stanza.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def _minbase_status(status_path):
    """Writes a dpkg status file declaring the minbase set installed."""
    dump = subprocess.run(["apt-cache", "dumpavail"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if dump.returncode != 0:
        raise BundleError("apt-cache dumpavail failed; run apt-get update first: "
                          + dump.stderr.decode(errors="replace").strip())
    chosen = {}
    by_name = {}
    for stanza in _stanzas(dump.stdout.decode("utf-8", "replace")):
        name = _field(stanza, "Package")
        arch = _field(stanza, "Architecture")
        if name is None or arch not in ("amd64", "all"):
            continue
        by_name.setdefault(name, stanza)
        if (_field(stanza, "Essential") == "yes" or _field(stanza, "Priority") == "required"
                or name == "apt"):
            chosen.setdefault(name, stanza)
    # apt's own dependencies are part of the root too (first alternative, like mmdebstrap).
    todo = list(chosen)
    while todo:
        stanza = chosen[todo.pop()]
        for field in ("Depends", "Pre-Depends"):
            value = _field(stanza, field)
            if not value:
                continue
            for clause in value.split(","):
                dep = clause.split("|")[0].strip().split(" ")[0].split(":")[0]
                if dep and dep not in chosen and dep in by_name:
                    chosen[dep] = by_name[dep]
                    todo.append(dep)
    with open(status_path, "w", encoding="utf-8") as f:
        for stanza in chosen.values():
            lines = [ln for ln in stanza.splitlines() if not ln.startswith("Status:")]
            lines.insert(1, "Status: install ok installed")
            f.write("\n".join(lines) + "\n\n")
    return len(chosen)


def download_closure(debs, work_dir, extra=DEFAULT_EXTRA):
    """Returns the paths of the downloaded dependency .debs (not including debs themselves)."""
    apt_get = require_tool("apt-get", "apt")
    # apt reads relative Dir:: options relative to its own directories: make them absolute.
    work_dir = os.path.abspath(work_dir)
    state = os.path.join(work_dir, "state")
    archives = os.path.join(work_dir, "archives")
    os.makedirs(os.path.join(archives, "partial"), exist_ok=True)
    os.makedirs(state, exist_ok=True)
    status = os.path.join(state, "status")
    _minbase_status(status)
    for name in ("extended_states",):
        open(os.path.join(state, name), "a", encoding="utf-8").close()
    argv = [apt_get, "-q", "-y", "--no-install-recommends", "--download-only",
            "-o", f"Dir::State::status={status}",
            "-o", f"Dir::State::extended_states={os.path.join(state, 'extended_states')}",
            "-o", f"Dir::Cache::archives={archives}",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
            "install"] + [os.path.abspath(d) for d in debs] + list(extra)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise BundleError("apt-get could not resolve or download the dependencies of the "
                          "univirt packages: " + proc.stderr.decode(errors="replace").strip())
    return sorted(glob.glob(os.path.join(archives, "*.deb")))
