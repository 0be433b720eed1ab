#!/usr/bin/env python3
"""installer/univirt-offline-install, serve mode, against a Debian 12 node that cannot reach
anything but the bundle server: the node (tests/system/ansible/testbed.py: its own root, sshd in
network/mount/UTS/PID namespaces) has no apt source but the one the installer configures, a
default route to the host side of its bridge and a resolver at a sink address. On the host an
nftables table counts and drops every packet from the bridge that is not addressed to the
bundle server (which is also where kube-lite and the Ansible controller are), and separately
every packet to the resolver sink.

Asserted: the install succeeds; the univirt packages on the node are the bundle's (version and
apt lists only from the bundle server); the image is in the bundle's registry; a second run
changes nothing (every step reused, every playbook changed=0); both counters are zero — and
then, so that the zeros mean something, one packet to each sink is counted.

VerifyFirstTest: a bundle with one changed byte is refused at the first step, naming the file,
with nothing extracted or served. RepoServerTest: installer/offline-repo-server serves only its
mapped trees, read-only (no '..', encoded or not, no symlink out).

NexusModeTest: the same installer with --nexus against the Nexus stand-in (nexus_standin.py) on
127.0.0.1 publishes packages and image there, points the node variables at it, and a second
run pushes nothing; the credentials never appear in its output.

The bundle is ${UNIVIRT_BINARY_DIR}/bundle-test/univirt-bundle-*.tar (ctest fixture
univirt_bundle; $UNIVIRT_BUNDLE_DIR overrides the directory), checked with the release key
next to it.
Exit code 77 (ctest SKIP_RETURN_CODE) only when the machine cannot run the test bed at all."""
import base64
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import subprocess
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "system" / "ansible"))
import offlinetest  # noqa: E402  (tests/offline: the bundle under test, the tool, free ports)
import testbed  # noqa: E402  (tests/system/ansible/testbed.py)
from daemonset_controller import FakeDaemonSetController  # noqa: E402
from nexus_standin import NexusStandin  # noqa: E402
from testbed import SOURCE_DIR, BINARY_DIR, run, timed, wait_for  # noqa: E402

INSTALLER = SOURCE_DIR / "installer" / "univirt-offline-install"
# Addresses outside the bridge's /24: the node routes them through its default gateway, the
# host side of the bridge, where the nftables rules see them.
DNS_SINK = "192.0.2.53"        # TEST-NET-1 (RFC 5737): the node's only resolver
OUTSIDE = "198.51.100.7"       # TEST-NET-2: stands in for "the internet" in the control check
UNIVIRT_PACKAGE = "univirt-daemons"


def bundle_and_key():
    """The bundle under test and the --key arguments naming the release key next to it."""
    bundle = offlinetest.bundle_tar()
    key = offlinetest.bundle_pubkey()
    return bundle, (["--key", key] if key.exists() else [])


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (network namespaces, chroot, nftables)"
    for tool in ["ip", "unshare", "mmdebstrap", "ansible-playbook", "kubectl", "chroot", "nft",
                 "docker-registry", "curl"]:
        if shutil.which(tool) is None:
            return f"'{tool}' not found; install the packages in installer/deps/debian-build.txt"
    return None


class EgressCounter:
    """An nftables table on the host counting and dropping what the node sends anywhere but
    to the bundle server: packets to the DNS sink in one counter, all others in another."""

    def __init__(self, tag, bridge, server):
        self.table = f"univirt_offline_{tag}"
        # prerouting at raw priority: before routing, conntrack and any forwarding rule.
        ruleset = f"""
table inet {self.table} {{
  counter dns_sink {{ }}
  counter egress {{ }}
  chain prerouting {{
    type filter hook prerouting priority raw; policy accept;
    iifname "{bridge}" ip daddr {DNS_SINK} counter name dns_sink drop
    iifname "{bridge}" ip daddr != {server} counter name egress drop
    iifname "{bridge}" meta nfproto ipv6 counter name egress drop
  }}
}}
"""
        run(["nft", "-f", "-"], input=ruleset)

    def packets(self):
        listing = json.loads(run(["nft", "-j", "list", "table", "inet", self.table]).stdout)
        counters = {}
        for item in listing["nftables"]:
            if "counter" in item:
                counters[item["counter"]["name"]] = item["counter"]["packets"]
        return counters

    def close(self):
        run(["nft", "delete", "table", "inet", self.table], check=False)


class OfflineInstallTest(unittest.TestCase):
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
        cls.bundle, cls.key_args = bundle_and_key()
        cls.tool = offlinetest.TOOL
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-offline-"))
        cls.cleanups.append(lambda: shutil.rmtree(cls.tmp, ignore_errors=True))
        cls.logs = BINARY_DIR / "tests/offline/logs"
        shutil.rmtree(cls.logs, ignore_errors=True)
        cls.logs.mkdir(parents=True)
        cls.data_dir = cls.tmp / "offline"
        tag = os.getpid() % 100000
        with timed("node root filesystem (cached after the first run)"):
            root_tar = testbed.node_root_tar()
        cls.bridge = testbed.Bridge(tag, f"10.{200 + tag % 50}.{tag % 250}")
        cls.cleanups.append(cls.bridge.close)
        cls.server = cls.bridge.address
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", cls.tmp / "id_test"])
        with timed("node (copy root, namespaces, sshd)"):
            cls.node = testbed.Node("node1", 1, cls.bridge, root_tar, cls.tmp,
                                    (cls.tmp / "id_test.pub").read_text())
            cls.cleanups.append(cls.node.close)
            cls._isolate_node()
            cls.counter = EgressCounter(tag, cls.bridge.name, cls.server)
            cls.cleanups.append(cls.counter.close)
            cls.node.start()
            wait_for(cls.node.reachable, 30, "sshd on node1")
        # Stops the servers the installer started, whatever the test did, and keeps the
        # installer's logs (playbooks, servers, univirt-bundle) in the build tree.
        cls.cleanups.append(lambda: run([INSTALLER, "--stop", "--data-dir", cls.data_dir],
                                        check=False))
        cls.cleanups.append(lambda: shutil.copytree(cls.data_dir / "log", cls.logs / "installer",
                                                    dirs_exist_ok=True)
                            if (cls.data_dir / "log").is_dir() else None)
        cls.kube = testbed.KubeLite(cls.tmp, cls.server)
        cls.cleanups.append(cls.kube.close)
        cls.kube.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node1"}}))
        cls.controller = FakeDaemonSetController(cls.kube.kubeconfig)
        cls.cleanups.append(cls.controller.close)
        cls._write_inventory()

    @classmethod
    def _isolate_node(cls):
        node = cls.node
        # No package source at all but what the installer configures.
        sources = node.root / "etc/apt/sources.list.d"
        for entry in sources.glob("*"):
            entry.unlink()
        for stale in (node.root / "var/lib/apt/lists").glob("*_*"):
            stale.unlink()
        # A resolver that is not there: every DNS query is a counted, dropped packet.
        resolv = node.root / "etc/resolv.conf"
        if resolv.is_symlink():
            resolv.unlink()
        resolv.write_text(f"nameserver {DNS_SINK}\n")
        ns = ["ip", "netns", "exec", node.netns]
        # IPv4 only: the kernel's own IPv6 chatter (router solicitations, MLD) is not the
        # installer's doing and would otherwise reach the counter.
        run([*ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"])
        run([*ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"])
        run([*ns, "ip", "route", "add", "default", "via", cls.bridge.address])

    @classmethod
    def _write_inventory(cls):
        node = cls.node
        (cls.tmp / "known_hosts").write_text(f"{node.address} {' '.join(node.host_key)}\n")
        ssh_args = (f"-o UserKnownHostsFile={cls.tmp}/known_hosts -o StrictHostKeyChecking=yes "
                    "-o ControlMaster=no")
        host = f"node1 ansible_host={node.address}"
        (cls.tmp / "inventory.ini").write_text(
            f"[master]\n{host}\n\n[worker]\n{host}\n\n[chrony]\n{host}\n\n[all:vars]\n"
            f"ansible_user=root\nansible_ssh_private_key_file={cls.tmp}/id_test\n"
            f"ansible_ssh_common_args='{ssh_args}'\n")
        (cls.tmp / "test-vars.json").write_text(json.dumps({
            # The bundle carries every prerequisite of group_vars' univirt_packages_debian;
            # the node installs one of them from it, as the Ansible node test does (QEMU,
            # libvirt's daemons and the Ceph client would add minutes and need systemd).
            "univirt_packages_debian": ["bridge-utils"],
            "univirt_packages_services": [],
            "univirt_chrony_daemon_options": "-x",
            "univirt_rollout_timeout": 120,
        }))

    @classmethod
    def tearDownClass(cls):
        for cleanup in reversed(cls.cleanups):
            cleanup()
        cls.cleanups = []

    # ---- helpers -------------------------------------------------------------------------
    def bundle_packages(self):
        """{package: version} of the bundle's apt repository, read from its Packages index."""
        index = run([self.tool, "inspect", "--no-verify", "--json", self.bundle]).stdout
        manifest = json.loads(index)
        repo = manifest["repositories"]["apt"]["debian12"]["path"]
        extracted = self.data_dir / manifest["version"] / repo
        packages = {}
        for path in extracted.glob("dists/*/main/binary-amd64/Packages"):
            for stanza in path.read_text().split("\n\n"):
                fields = dict(re.findall(r"^(Package|Version): (.*)$", stanza, re.M))
                if "Package" in fields:
                    packages[fields["Package"]] = fields["Version"]
        return manifest["version"], packages

    def install(self, name, *extra):
        env = dict(os.environ, ANSIBLE_CACHE_PLUGIN_CONNECTION=str(self.tmp / "facts"),
                   ANSIBLE_LOCAL_TEMP=str(self.tmp / "ansible-local"))
        argv = [INSTALLER, self.bundle, "--listen", self.server, "--inventory",
                self.tmp / "inventory.ini", "--kubeconfig", self.kube.kubeconfig,
                "--data-dir", self.data_dir, "--bundle-tool", self.tool, *self.key_args,
                "-e", f"@{self.tmp}/test-vars.json", *extra]
        with timed(f"univirt-offline-install ({name})"):
            proc = run(argv, check=False, env=env)
        (self.logs / f"{name}.log").write_text(proc.stdout + proc.stderr)
        print(proc.stdout, file=sys.stderr)
        self.assertEqual(proc.returncode, 0, f"univirt-offline-install ({name}) failed:\n"
                         f"{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}")
        return proc.stdout

    # ---- the test ---------------------------------------------------------------------------
    def test_offline_install(self):
        self.assertEqual(self.counter.packets(), {"dns_sink": 0, "egress": 0})
        # install_and_setup_chrony.yml installs chrony and tzdata: it runs when the bundle
        # carries both (the node's root is Debian's essential set, without tzdata).
        files = run([self.tool, "inspect", "--no-verify", "--files", self.bundle]).stdout
        chrony = "/chrony_" in files and "/tzdata_" in files
        extra = [] if chrony else ["--skip-playbook", "install_and_setup_chrony.yml"]
        print(f"chrony and tzdata in the bundle: {chrony}", file=sys.stderr)
        first = self.install("first", *extra)
        # The first run extracted the bundle; its package index is read from there.
        version, packages = self.bundle_packages()
        self.assertIn(UNIVIRT_PACKAGE, packages)
        self.assertRegex(first, rf"univirt {re.escape(version)} installed offline")
        for step in ["serve repositories", "start registry", "install_uniVirt.yml"]:
            self.assertRegex(first, rf"\] {re.escape(step)} +\S")

        with self.subTest("the univirt packages come from the bundle"):
            node = self.node
            status = run(["chroot", node.root, "dpkg-query", "-W", "-f",
                          "${Status} ${Version}", UNIVIRT_PACKAGE]).stdout
            self.assertEqual(status, f"install ok installed {packages[UNIVIRT_PACKAGE]}")
            prerequisite = run(["chroot", node.root, "dpkg-query", "-W", "-f", "${Status}",
                                "bridge-utils"]).stdout
            self.assertEqual(prerequisite, "install ok installed",
                             "the prerequisite from the bundle is not installed")
            lists = [p.name for p in (node.root / "var/lib/apt/lists").glob("*_*")
                     if p.is_file()]
            self.assertTrue(lists, "apt on the node has no package lists")
            prefix = f"{self.server}:8081_repository_univirt-apt_"
            self.assertEqual([n for n in lists if not n.startswith(prefix)], [],
                             "apt lists from another source than the bundle server")
            source = (node.root / "etc/apt/sources.list.d/univirt.list").read_text()
            self.assertIn(f"http://{self.server}:8081/repository/univirt-apt bookworm main",
                          source)

        with self.subTest("the cluster runs the bundle's image from the bundle's registry"):
            ds = json.loads(self.kube.kubectl("get", "ds", "-n", "kube-system",
                                              "virt-tool-ubuntu", "-o", "json").stdout)
            images = {c["image"] for c in ds["spec"]["template"]["spec"]["containers"]}
            reference = f"{self.server}:58001/univirt/univirt:{version}"
            self.assertEqual(images, {reference})
            run(["curl", "-sSf", "-o", "/dev/null", "-H",
                 "Accept: application/vnd.oci.image.manifest.v1+json",
                 f"http://{self.server}:58001/v2/univirt/univirt/manifests/{version}"])
            hosts = self.node.root / f"etc/containerd/certs.d/{self.server}:58001/hosts.toml"
            self.assertIn(f'server = "http://{self.server}:58001"', hosts.read_text())

        with self.subTest("a second run changes nothing"):
            second = self.install("second", *extra)
            self.assertIn("0 step(s) changed something", second)
            self.assertRegex(second, r"\] extract +reused")
            self.assertRegex(second, r"\] serve repositories +reused")
            self.assertRegex(second, r"\] start registry +reused")
            playbook_lines = re.findall(r"\] \S+\.yml +(.*)", second)
            self.assertTrue(playbook_lines)
            for line in playbook_lines:
                if "skipped" not in line:
                    self.assertIn("changed=0", line)

        with self.subTest("nothing tried to leave"):
            self.assertEqual(self.counter.packets(), {"dns_sink": 0, "egress": 0},
                             "the node sent packets past the bundle server")

        with self.subTest("the counters count"):
            ns = ["ip", "netns", "exec", self.node.netns]
            run([*ns, "python3", "-c", "import socket,sys; socket.socket(socket.AF_INET, "
                 "socket.SOCK_DGRAM).sendto(b'x', (sys.argv[1], 53))", DNS_SINK])
            run([*ns, "python3", "-c", "import socket,sys; s=socket.socket(); s.settimeout(0.3)\n"
                 "try: s.connect((sys.argv[1], 80))\nexcept OSError: pass", OUTSIDE])
            wait_for(lambda: self.counter.packets()["dns_sink"] == 1 and
                     self.counter.packets()["egress"] >= 1, 5, "the control packets counted")


class NexusModeTest(unittest.TestCase):
    """--nexus: publish into the site's Nexus (the stand-in) instead of serving."""

    PASSWORD = "pw-3c9f1b22-never-echo"

    def setUp(self):
        self.bundle, self.key_args = bundle_and_key()
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-offline-nexus-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.nexus = NexusStandin(users={"deployer": self.PASSWORD}).start()
        self.addCleanup(self.nexus.stop)
        self.docker_port = offlinetest.free_port()
        self.credentials = self.tmp / "nexus.cred"
        self.credentials.write_text(f"user=deployer\npassword={self.PASSWORD}\n")
        self.credentials.chmod(0o600)

    def install(self):
        proc = run([INSTALLER, self.bundle, "--nexus", f"nexus://127.0.0.1:{self.nexus.port}",
                    "--credentials-file", self.credentials, "--registry-port", self.docker_port,
                    "--data-dir", self.tmp / "offline", "--bundle-tool", offlinetest.TOOL,
                    *self.key_args, "--no-playbooks"], check=False)
        output = proc.stdout + proc.stderr
        for log in (self.tmp / "offline" / "log").glob("*.log"):
            output += log.read_text()
        self.assertNotIn(self.PASSWORD, output)
        self.assertEqual(proc.returncode, 0, f"univirt-offline-install --nexus failed:\n"
                         f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        print(proc.stdout, file=sys.stderr)
        return proc.stdout

    def test_publishes_into_nexus(self):
        with timed("univirt-offline-install --nexus (first)"):
            first = self.install()
        self.assertRegex(first, r"\] push into Nexus +pushed [1-9]")
        manifest = json.loads(run([offlinetest.TOOL, "inspect", "--no-verify", "--json",
                                   self.bundle]).stdout)
        version = manifest["version"]
        debs = [f for f in manifest["files"] if f["path"].endswith(".deb")]
        repos = self.nexus.repos
        self.assertEqual(len(repos["univirt-apt"].assets), len(debs))
        # The image the DaemonSets name, on the Docker connector, as the nodes will pull it.
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.docker_port}/v2/univirt/univirt/manifests/{version}",
            method="HEAD", headers={
                "Accept": "application/vnd.oci.image.manifest.v1+json",
                "Authorization": "Basic " + base64.b64encode(
                    f"deployer:{self.PASSWORD}".encode()).decode()})
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertEqual(response.status, 200)
        values = json.loads((self.tmp / "offline/run/offline-vars.json").read_text())
        base = f"http://127.0.0.1:{self.nexus.port}/repository"
        self.assertEqual(values["univirt_apt_repo_offline"]["url"], f"{base}/univirt-apt")
        self.assertEqual(values["univirt_yum_repo_offline"]["url"], f"{base}/univirt-yum")
        self.assertEqual(values["univirt_image_registry_offline"],
                         f"127.0.0.1:{self.docker_port}/univirt")
        self.assertEqual(values["ver"], version)
        self.assertEqual(values["offline"], "1")
        with timed("univirt-offline-install --nexus (second)"):
            second = self.install()
        self.assertRegex(second, r"\] push into Nexus +pushed 0 item")
        self.assertIn("0 step(s) changed something", second)


class VerifyFirstTest(unittest.TestCase):
    """A bundle with one changed byte: the installer stops at verify, names the file, and
    neither extracts nor serves anything."""

    def test_corrupt_bundle_is_refused_before_any_use(self):
        bundle, key_args = bundle_and_key()
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-offline-corrupt-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        root = pathlib.Path(run([offlinetest.TOOL, "extract", bundle, "--to", tmp / "x",
                                 *key_args]).stdout.strip())
        deb = sorted((root / "repos").rglob("univirt-daemons_*.deb"))[0]
        data = bytearray(deb.read_bytes())
        data[len(data) // 2] ^= 0x01
        deb.write_bytes(bytes(data))
        repo_port, registry_port = offlinetest.free_port(), offlinetest.free_port()
        data_dir = tmp / "offline"
        proc = run([INSTALLER, root, "--listen", "127.0.0.1", "--repo-port", repo_port,
                    "--registry-port", registry_port, "--data-dir", data_dir,
                    "--bundle-tool", offlinetest.TOOL, *key_args, "--no-playbooks"],
                   check=False)
        self.addCleanup(run, [INSTALLER, "--stop", "--data-dir", data_dir], check=False)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, r"\] verify bundle +FAILED")
        self.assertIn(deb.name, proc.stderr)
        self.assertNotIn("extract", proc.stdout)
        self.assertEqual(sorted(p.name for p in data_dir.iterdir()), [".lock", "log", "run"],
                         "something was extracted or started")
        for port in (repo_port, registry_port):
            self.assertFalse(testbed.tcp_open("127.0.0.1", port), f"port {port} is served")


class RepoServerTest(unittest.TestCase):
    """installer/offline-repo-server alone: only the mapped trees, read-only, no way out."""

    def setUp(self):
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-repo-server-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        self.repo = tmp / "bundle" / "repos" / "apt"
        (self.repo / "pool").mkdir(parents=True)
        (self.repo / "pool" / "a+b~1_all.deb").write_bytes(b"deb bytes")
        (tmp / "bundle" / "secret").write_text("not served")
        (self.repo / "escape").symlink_to(tmp / "bundle" / "secret")
        self.port = offlinetest.free_port()
        pid_file = tmp / "server.pid"
        self.proc = subprocess.Popen(
            [SOURCE_DIR / "installer" / "offline-repo-server", "--listen", "127.0.0.1",
             "--port", str(self.port), "--root", tmp / "bundle", "--map",
             f"univirt-apt={self.repo}", "--pid-file", pid_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self.proc.wait)
        self.addCleanup(self.proc.terminate)
        wait_for(lambda: self.proc.poll() is None and testbed.tcp_open("127.0.0.1", self.port),
                 10, "offline-repo-server to listen")
        self.assertEqual(pid_file.read_text().strip(), str(self.proc.pid))
        self.root = tmp / "bundle"

    def status(self, path, method="GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, b""

    def test_serves_only_the_mapped_trees(self):
        base = "/repository/univirt-apt"
        self.assertEqual(self.status(f"{base}/pool/a%2Bb%7E1_all.deb"), (200, b"deb bytes"))
        self.assertEqual(self.status(f"{base}/pool/a+b~1_all.deb"), (200, b"deb bytes"))
        for path in [f"{base}/../../secret", f"{base}/%2e%2e/secret", f"{base}/..%2fsecret",
                     f"{base}/escape", "/repository/other/x", "/secret", f"{base}/pool/"]:
            self.assertEqual(self.status(path)[0], 404, path)
        for method in ["PUT", "POST", "DELETE"]:
            self.assertEqual(self.status(f"{base}/pool/new.deb", method)[0], 405, method)
        code, body = self.status("/univirt-offline/status")
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(body)["root"], str(self.root))


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)
