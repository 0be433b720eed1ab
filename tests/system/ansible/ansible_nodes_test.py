#!/usr/bin/env python3
"""The upstream playbooks, end to end, on two Debian 12 nodes in network namespaces (see
testbed.py) with kube-lite as the cluster API: prerequisites, install, label, host services,
everything again with changed=0, a --check --diff run, update with a rollout wait, uninstall
that keeps the CRDs and users' VMs, uninstall -e purge=true, and then nothing of univirt left:
per node `find / -xdev` and an API dump taken before install equal those after uninstall, apart
from ALLOWED_* below. Timings go to stderr ("timing: ...").

Exit code 77 (ctest SKIP_RETURN_CODE) only when the machine cannot run the test bed at all:
not root, or no ip/unshare/mmdebstrap/ansible-playbook/kubectl."""
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import unittest

import yaml

import testbed
from daemonset_controller import FakeDaemonSetController
from testbed import SOURCE_DIR, run, timed, wait_for

ANSIBLE_DIR = SOURCE_DIR / "ansible"
PLAYBOOKS = ANSIBLE_DIR / "playbooks"
# Distro packages standing in for the prerequisites (the real list, QEMU + libvirt + ceph, is
# ~400 MB); chrony and tzdata come from install_and_setup_chrony.yml.
TEST_PREREQUISITES = ["bridge-utils"]
# Until the univirt .deb packages exist in the build tree, jq stands in for them: it is
# installed by the same task and must be purged (with its dependencies) by uninstall.
STANDIN_UNIVIRT_PACKAGES = ["jq"]
# Paths allowed to differ between a node before install and after uninstall. Each is a side
# effect of package management itself, not a univirt file.
ALLOWED_NODE_CHANGES = [
    r"/var/lib/dpkg/.*-old$",          # dpkg keeps the previous status/available file
    r"/var/cache/debconf/.*-old$",     # debconf keeps the previous database
    r"/var/cache/apt/.*\.bin$",        # apt's binary caches, rebuilt on every run
    r"/var/cache/apt/archives/.*\.deb$",  # apt's download cache (apt-get clean empties it)
    r"/var/lib/apt/lists/.*",          # package lists of the node's apt source
    r"/var/log/apt/.*",                # apt history logs record the install and the purge
    r"/var/log/dpkg\.log$",
    r"/var/lib/dpkg/triggers/.*",      # dpkg trigger state
    r"/var/lib/apt/extended_states$",  # apt's auto-installed marks
    r"/root/\.ansible(/.*)?$",         # Ansible's remote temp dir (the connection's, not ours)
    r"/tmp/.*",
]
# The univirt apt source is added by the prerequisites run (before the snapshot) and removed
# by uninstall; in the offline mode tested here it is also the prerequisites' only source.
ALLOWED_NODE_CHANGES.append(r"/etc/apt/sources\.list\.d/univirt\.list$")
API_KINDS = ["nodes", "namespaces", "customresourcedefinitions", "daemonsets", "services",
             "serviceaccounts", "clusterroles", "clusterrolebindings", "roles", "rolebindings",
             "configmaps"]


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (network namespaces, chroot)"
    for tool in ["ip", "unshare", "mmdebstrap", "ansible-playbook", "kubectl", "chroot"]:
        if shutil.which(tool) is None:
            return f"'{tool}' not found; install the packages in installer/deps/debian-build.txt"
    return None


class AnsibleNodesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cleanups = []
        try:
            cls._set_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _set_up(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-ansible-"))
        cls.cleanups.append(lambda: shutil.rmtree(cls.tmp, ignore_errors=True))
        # Each playbook's output stays in the build tree for reading after a failure.
        cls.logs = testbed.BINARY_DIR / "tests/system/ansible/logs"
        shutil.rmtree(cls.logs, ignore_errors=True)
        tag = os.getpid() % 100000
        univirt_debs = sorted((testbed.BINARY_DIR / "packages").glob("univirt-daemons_*.deb"))
        cls.univirt_packages = ["univirt-daemons"] if univirt_debs else STANDIN_UNIVIRT_PACKAGES
        print(f"univirt packages under test: {cls.univirt_packages}", file=sys.stderr)
        with timed("node root filesystem (cached after the first run)"):
            root_tar = testbed.node_root_tar()
        with timed("apt mirror (cached after the first run)"):
            mirror_packages = TEST_PREREQUISITES + ["chrony", "tzdata"]
            if not univirt_debs:
                mirror_packages += STANDIN_UNIVIRT_PACKAGES
            mirror = testbed.apt_mirror(mirror_packages, univirt_debs)
        cls.bridge = testbed.Bridge(tag, f"10.{200 + tag % 50}.{tag % 250}")
        cls.cleanups.append(cls.bridge.close)
        cls.repo = testbed.RepoServer(mirror, cls.bridge.address)
        cls.cleanups.append(cls.repo.close)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", cls.tmp / "id_test"])
        pub = (cls.tmp / "id_test.pub").read_text()
        cls.nodes = []
        with timed("two nodes (copy root, namespaces, sshd)"):
            for index, name in enumerate(["node1", "node2"], start=1):
                node = testbed.Node(name, index, cls.bridge, root_tar, cls.tmp, pub)
                cls.cleanups.append(node.close)
                node.start()
                cls.nodes.append(node)
            for node in cls.nodes:
                wait_for(node.reachable, 30, f"sshd on {node.name}")
        cls.kube = testbed.KubeLite(cls.tmp, cls.bridge.address)
        cls.cleanups.append(cls.kube.close)
        for node in cls.nodes:
            cls.kube.kubectl("apply", "-f", "-", input=json.dumps(
                {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node.name}}))
        cls.controller = FakeDaemonSetController(cls.kube.kubeconfig)
        cls.cleanups.append(cls.controller.close)
        cls._write_inventory(mirror)

    @classmethod
    def _write_inventory(cls, mirror):
        known = "".join(f"{n.address} {' '.join(n.host_key)}\n" for n in cls.nodes)
        (cls.tmp / "known_hosts").write_text(known)
        ssh_args = (f"-o UserKnownHostsFile={cls.tmp}/known_hosts -o StrictHostKeyChecking=yes "
                    "-o ControlMaster=no")
        hosts = {n.name: f"{n.name} ansible_host={n.address}" for n in cls.nodes}
        (cls.tmp / "inventory.ini").write_text(
            f"[master]\n{hosts['node1']}\n\n[worker]\n{hosts['node1']}\n{hosts['node2']}\n\n"
            f"[chrony]\n{hosts['node1']}\n\n[all:vars]\nansible_user=root\n"
            f"ansible_ssh_private_key_file={cls.tmp}/id_test\n"
            f"ansible_ssh_common_args='{ssh_args}'\n")
        cls.extra_vars = {
            "offline": "1",
            "univirt_offline_server": cls.bridge.address,
            "univirt_apt_repo_offline": {"url": cls.repo.url, "suite": "", "components": [],
                                         "signed_by": ""},
            "univirt_packages_debian": TEST_PREREQUISITES,
            "univirt_packages_univirt": cls.univirt_packages,
            "univirt_packages_services": [],
            # chronyd runs in the nodes' PID namespace but shares the machine's clock.
            "univirt_chrony_daemon_options": "-x",
            "univirt_kubeconfig": str(cls.kube.kubeconfig),
            "univirt_rollout_timeout": 120,
        }
        (cls.tmp / "vars.json").write_text(json.dumps(cls.extra_vars))

    @classmethod
    def tearDownClass(cls):
        for cleanup in reversed(cls.cleanups):
            cleanup()
        cls.cleanups = []

    # ---- helpers -------------------------------------------------------------------------
    def playbook(self, name, *args, inventory=None, expect_changed=None):
        """Runs playbooks/<name>; returns {host: changed count}. expect_changed=0 asserts
        nothing changed on any host."""
        env = dict(os.environ, ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=str(self.tmp / "facts"),
                   ANSIBLE_LOCAL_TEMP=str(self.tmp / "ansible-local"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{len(list(self.logs.glob('*.log'))):02d}-{name}.log"
        argv = ["ansible-playbook", "-i", inventory or self.tmp / "inventory.ini",
                "-e", f"@{self.tmp}/vars.json", *args, PLAYBOOKS / name]
        with timed(f"ansible-playbook {name} {' '.join(args)}".rstrip()):
            proc = run(argv, check=False, env=env)
        log.write_text(proc.stdout + proc.stderr)
        self.assertEqual(proc.returncode, 0, f"{name} failed (log {log}):\n{proc.stdout[-6000:]}"
                         f"\n{proc.stderr[-2000:]}")
        self.last_output = proc.stdout
        recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M))
        changed = {host: int(n) for host, n in recap.items()}
        if expect_changed is not None:
            self.assertEqual(set(changed.values()), {expect_changed},
                             f"{name}: expected changed={expect_changed} everywhere, got "
                             f"{changed} (log {log}):\n{self._changed_tasks(proc.stdout)}")
        return changed

    def playbook_output(self, name, *args):
        self.playbook(name, *args)
        return self.last_output

    @staticmethod
    def _changed_tasks(output):
        lines, task = [], ""
        for line in output.splitlines():
            if line.startswith("TASK ["):
                task = line
            elif line.startswith("changed:"):
                lines.append(f"{task}\n  {line}")
        return "\n".join(lines)

    def kubectl_json(self, *argv):
        return json.loads(self.kube.kubectl(*argv, "-o", "json").stdout)

    def node_object(self, name):
        return self.kubectl_json("get", "node", name)

    def api_dump(self):
        """Every object of API_KINDS with what matters: name, labels, annotations, spec."""
        dump = {}
        for kind in API_KINDS:
            for item in self.kubectl_json("get", kind, "-A")["items"]:
                meta = item["metadata"]
                key = f"{kind}/{meta.get('namespace', '')}/{meta['name']}"
                dump[key] = {"labels": meta.get("labels", {}),
                             "annotations": meta.get("annotations", {}),
                             "spec": item.get("spec"), "data": item.get("data")}
        return dump

    def node_listings(self):
        return {node.name: node.listing() for node in self.nodes}

    # ---- the flow, in order ---------------------------------------------------------------
    def test_1_full_cycle(self):
        # Prerequisites: time sync, root ssh, distro packages. Not univirt's own files.
        self.playbook("install_packages_and_dependencies.yml", "--tags", "prerequisites")
        self.playbook("install_and_setup_chrony.yml")
        self.playbook("config_root_ssh.yml")
        self.check_prerequisites()
        before_nodes, before_api = self.node_listings(), self.api_dump()

        self.install()
        self.check_installed("v1.0.0.lab")

        with self.subTest("second run changes nothing"):
            for name in ["install_and_setup_chrony.yml", "config_root_ssh.yml",
                         "install_packages_and_dependencies.yml", "label_k8s_nodes.yml",
                         "create_comm_service_env.yml", "install_go.yml"]:
                self.playbook(name, expect_changed=0)
            self.playbook("install_uniVirt.yml", "-e", "ver=v1.0.0.lab", expect_changed=0)
        with self.subTest("check mode with diff changes nothing and succeeds"):
            for name in ["install_and_setup_chrony.yml", "install_packages_and_dependencies.yml",
                         "label_k8s_nodes.yml", "config_root_ssh.yml"]:
                self.playbook(name, "--check", "--diff", expect_changed=0)
            self.playbook("install_uniVirt.yml", "-e", "ver=v1.0.0.lab", "--check", "--diff",
                          expect_changed=0)
            self.playbook("update_uniVirt.yml", "-e", "ver=v1.0.9.lab", "--check", "--diff")
            self.check_installed("v1.0.0.lab")

        self.el_branches_in_check_mode()
        self.update()
        self.uninstall_keeps_users_objects()

        self.playbook("uninstall_uniVirt.yml", "-e", "purge=true")
        self.playbook("uninstall_uniVirt.yml", "-e", "purge=true", expect_changed=0)
        self.assert_same_nodes(before_nodes, self.node_listings())
        self.assertEqual(before_api, self.api_dump(), "the API differs from before install")
        self.assertEqual(self.controller.errors, [])

    def check_prerequisites(self):
        node1, node2 = self.nodes
        conf = (node2.root / "etc/chrony/chrony.conf").read_text()
        self.assertIn(f"server {node1.address} iburst", conf)
        self.assertNotIn("pool ", conf, "offline chrony must not name internet pools")
        server_conf = (node1.root / "etc/chrony/chrony.conf").read_text()
        self.assertIn(f"allow {node2.address}", server_conf)
        self.assertNotIn("allow all", server_conf)
        self.assertEqual(os.readlink(node2.root / "etc/localtime"),
                         "/usr/share/zoneinfo/Asia/Shanghai")
        self.assertTrue((node1.root / "usr/sbin/brctl").exists())
        # node2 reaches node1 as root with the key and host key config_root_ssh.yml set up.
        run(["ip", "netns", "exec", node2.netns, "chroot", node2.root, "ssh", "-o",
             "BatchMode=yes", node1.address, "true"])

    def el_branches_in_check_mode(self):
        """EL hosts cannot be built here: the EL branches run in check mode on node2 with EL
        facts (package names it has, so the package module's answer is real) and must not fail
        or change anything."""
        node2 = self.nodes[1]
        # The node is Debian: its chrony unit is "chrony", not EL's "chronyd".
        el_vars = json.dumps({"ansible_os_family": "RedHat", "ansible_distribution": "CentOS",
                              "univirt_packages_redhat": TEST_PREREQUISITES,
                              "univirt_chrony_service": "chrony"})
        outputs = ""
        repos_dir = node2.root / "etc/yum.repos.d"  # what yum/dnf provides on an EL host
        repos_dir.mkdir()
        try:
            for name in ["install_packages_and_dependencies.yml",
                         "install_and_setup_chrony.yml", "label_k8s_nodes.yml"]:
                outputs += self.playbook_output(name, "--check", "--diff", "--limit", "node2",
                                                "-e", el_vars)
        finally:
            repos_dir.rmdir()
        self.assertIn("/etc/yum.repos.d/univirt.repo", outputs)
        self.assertIn("/etc/sysconfig/chronyd", outputs)
        self.assertFalse((node2.root / "etc/chrony.conf").exists())
        self.assertIn("doslab/virt.tool.centos", outputs)
        labels = self.node_object("node2")["metadata"]["labels"]
        self.assertNotIn("doslab/virt.tool.centos", labels)

    def install(self):
        self.playbook("install_packages_and_dependencies.yml")
        self.playbook("label_k8s_nodes.yml")
        self.playbook("install_uniVirt.yml", "-e", "ver=v1.0.0.lab")
        self.playbook("create_comm_service_env.yml")

    def check_installed(self, version):
        for node in self.nodes:
            obj = self.node_object(node.name)
            self.assertEqual(obj["metadata"]["labels"].get("doslab/virt.tool.ubuntu"), "")
            self.assertEqual(obj["metadata"]["annotations"].get("THISIP"), node.address)
            status = run(["chroot", node.root, "dpkg-query", "-W", "-f", "${Status}",
                          *self.univirt_packages]).stdout
            self.assertIn("install ok installed", status)
        crds = self.kubectl_json("get", "crd", "-l", "doslab.io")["items"]
        self.assertEqual(len(crds), 11)
        for os_name in ["centos", "ubuntu"]:
            ds = self.kubectl_json("get", "ds", "-n", "kube-system", f"virt-tool-{os_name}")
            containers = ds["spec"]["template"]["spec"]["containers"]
            self.assertEqual([c["name"] for c in containers],
                             ["virtctl", "virtlet", "libvirtwatcher", "virtmonitor"])
            for c in containers:
                self.assertEqual(c["image"], f"{self.bridge.address}:58001/univirt/univirt:"
                                 f"{version}")
                self.assertEqual(c["imagePullPolicy"], "IfNotPresent")  # offline=1
            self.assertEqual(ds["status"]["observedGeneration"], ds["metadata"]["generation"])
        ubuntu = self.kubectl_json("get", "ds", "-n", "kube-system", "virt-tool-ubuntu")
        self.assertEqual(ubuntu["status"]["desiredNumberScheduled"], 2)
        self.kube.kubectl("get", "sa", "-n", "kube-system", "univirt")
        self.kube.kubectl("get", "clusterrolebinding", "univirt-node")

    def changed_crds(self):
        """The release's CRDs with one change an update must roll out: a printer column more on
        VirtualMachine."""
        docs = list(yaml.safe_load_all((SOURCE_DIR / "daemons/crds/crds.yaml").read_text()))
        vm = next(d for d in docs if d and d["metadata"]["name"] == "virtualmachines.doslab.io")
        for version in vm["spec"]["versions"]:
            version.setdefault("additionalPrinterColumns", []).append(
                {"name": "Revision", "type": "string", "jsonPath": ".metadata.resourceVersion"})
        path = self.tmp / "crds-v1.0.1.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        return path

    def update(self):
        before = self.kubectl_json("get", "ds", "-n", "kube-system", "virt-tool-ubuntu")
        rollouts = len(self.controller.rollouts)
        crds = self.changed_crds()
        self.playbook("update_uniVirt.yml", "-e", "ver=v1.0.1.lab", "-e",
                      f"univirt_crd_file={crds}")
        # The CRD change is rolled out with the update.
        vm_crd = self.kubectl_json("get", "crd", "virtualmachines.doslab.io")
        columns = [c["name"] for c in vm_crd["spec"]["versions"][0]["additionalPrinterColumns"]]
        self.assertIn("Revision", columns)
        after = self.kubectl_json("get", "ds", "-n", "kube-system", "virt-tool-ubuntu")
        # Same object (no delete + recreate), new generation, rolled out before the play ended.
        self.assertEqual(before["metadata"]["uid"], after["metadata"]["uid"])
        self.assertGreater(after["metadata"]["generation"], before["metadata"]["generation"])
        self.assertEqual(after["spec"]["updateStrategy"]["type"], "RollingUpdate")
        self.assertGreater(len(self.controller.rollouts), rollouts)
        self.check_installed("v1.0.1.lab")
        self.playbook("update_uniVirt.yml", "-e", "ver=v1.0.1.lab", "-e",
                      f"univirt_crd_file={crds}", expect_changed=0)

    def uninstall_keeps_users_objects(self):
        vm = {"apiVersion": "doslab.io/v1", "kind": "VirtualMachine",
              "metadata": {"name": "users-vm", "namespace": "default"},
              "spec": {"nodeName": "node1", "domain": {}}}
        self.kube.kubectl("apply", "-f", "-", input=json.dumps(vm))
        # A user's disk under the default path root survives an uninstall without purge.
        disks = []
        for node in self.nodes:
            disk = node.root / "var/lib/univirt/disks/users-disk/users-disk"
            disk.parent.mkdir(parents=True, exist_ok=True)
            disk.write_bytes(b"users data")
            disks.append(disk)
        self.playbook("uninstall_uniVirt.yml")
        for disk in disks:
            self.assertEqual(disk.read_bytes(), b"users data")
        self.kube.kubectl("get", "vm", "-n", "default", "users-vm")
        self.assertEqual(len(self.kubectl_json("get", "crd", "-l", "doslab.io")["items"]), 11)
        self.assertEqual(self.kubectl_json("get", "ds", "-A")["items"], [])
        for node in self.nodes:
            meta = self.node_object(node.name)["metadata"]
            self.assertNotIn("doslab/virt.tool.ubuntu", meta.get("labels", {}))
            self.assertNotIn("THISIP", meta.get("annotations", {}))
            self.assertFalse((node.root / "etc/apt/sources.list.d/univirt.list").exists())
        # Reinstall on top of the kept objects, then purge below.
        self.install()
        self.kube.kubectl("get", "vm", "-n", "default", "users-vm")

    def assert_same_nodes(self, before, after):
        allowed = re.compile("^(?:" + "|".join(ALLOWED_NODE_CHANGES) + ")")
        for name in before:
            b, a = set(before[name]), set(after[name])
            diff = sorted(f"- {line}" for line in b - a) + sorted(f"+ {line}" for line in a - b)
            left = [line for line in diff if not allowed.match(line.split(" ", 3)[-1])]
            self.assertEqual(left, [], f"{name}: files differ from before install")


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)
