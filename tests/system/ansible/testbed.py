"""The Ansible test bed: Debian 12 nodes, each a copy of one cached root filesystem running sshd
in its own network, mount, UTS and PID namespaces; a bridge only the test's namespaces and the
controller share; a local apt repository served on the bridge; kube-lite bound to the bridge.

Nothing here reaches beyond the bridge: the nodes have no default route, and the repository and
kube-lite listen on the bridge address only."""
import contextlib
import hashlib
import http.server
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

SOURCE_DIR = pathlib.Path(os.environ.get("UNIVIRT_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[3]))
BINARY_DIR = pathlib.Path(os.environ.get("UNIVIRT_BINARY_DIR", SOURCE_DIR / "build" / "dev"))
# Shared with images/debian-root.sh: $UNIVIRT_CACHE_DIR, else ${XDG_CACHE_HOME:-/var/cache}/univirt.
CACHE_DIR = pathlib.Path(os.environ.get("UNIVIRT_CACHE_DIR") or
                         (os.environ.get("XDG_CACHE_HOME") or "/var/cache") + "/univirt")
# What every node's root holds before any playbook runs: sshd and Python for Ansible
# (apt and python3-apt for the apt module).
NODE_BASE_PACKAGES = ["apt", "openssh-server", "python3", "python3-apt"]


def run(argv, check=True, **kwargs):
    """Runs argv (never a shell); on failure raises with the command and its output."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    proc = subprocess.run([str(a) for a in argv], check=False, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"command {' '.join(map(str, argv))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


@contextlib.contextmanager
def timed(what):
    start = time.monotonic()
    yield
    print(f"timing: {what}: {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)


def wait_for(predicate, timeout, what):
    """Polls predicate until it returns a true value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def tcp_open(address, port):
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
        return True
    return False


class Bridge:
    """A Linux bridge in the controller's namespace with the given /24; nodes attach veths."""

    def __init__(self, tag, subnet):
        self.name = f"uvab{tag}"
        self.subnet = subnet  # e.g. "10.213.37"
        self.address = f"{subnet}.1"
        run(["ip", "link", "add", self.name, "type", "bridge"])
        run(["ip", "addr", "add", f"{self.address}/24", "dev", self.name])
        run(["ip", "link", "set", self.name, "up"])

    def close(self):
        run(["ip", "link", "del", self.name], check=False)


class Node:
    """One Debian node: root copied from the cached tarball, sshd in fresh namespaces."""

    def __init__(self, name, index, bridge, root_tar, workdir, authorized_key):
        self.name = name
        self.address = f"{bridge.subnet}.{10 + index}"
        self.netns = f"{bridge.name}-{name}"
        self.root = workdir / name
        self.proc = None
        self.root.mkdir()
        run(["tar", "-xf", root_tar, "-C", self.root])
        self._configure(authorized_key)
        veth_host, veth_node = f"{bridge.name}h{index}", f"{bridge.name}n{index}"
        run(["ip", "netns", "add", self.netns])
        run(["ip", "link", "add", veth_host, "type", "veth", "peer", "name", veth_node])
        run(["ip", "link", "set", veth_node, "netns", self.netns])
        run(["ip", "link", "set", veth_host, "master", bridge.name, "up"])
        for argv in (["ip", "addr", "add", f"{self.address}/24", "dev", veth_node],
                     ["ip", "link", "set", veth_node, "up"], ["ip", "link", "set", "lo", "up"]):
            run(["ip", "netns", "exec", self.netns, *argv])

    def _configure(self, authorized_key):
        root = self.root
        # An air-gapped node: its only package source is the one the playbooks configure.
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        # No init system runs: package scripts must not start services (the chroot convention).
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        (root / "etc/hostname").write_text(self.name + "\n")
        (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n{self.address} {self.name}\n")
        for key in (root / "etc/ssh").glob("ssh_host_*"):
            key.unlink()
        run(["chroot", root, "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
             "-f", "/etc/ssh/ssh_host_ed25519_key"])
        ssh_dir = root / "root/.ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        (ssh_dir / "authorized_keys").write_text(authorized_key)
        (root / "run/sshd").mkdir(parents=True, exist_ok=True)
        (root / "etc/ssh/univirt-test.conf").write_text(
            f"ListenAddress {self.address}\nHostKey /etc/ssh/ssh_host_ed25519_key\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\n"
            "Subsystem sftp internal-sftp\n")

    @property
    def host_key(self):
        return (self.root / "etc/ssh/ssh_host_ed25519_key.pub").read_text().split()[:2]

    def start(self):
        script = (f"hostname {self.name} && mount --bind /dev {self.root}/dev && "
                  f"exec chroot {self.root} /usr/sbin/sshd -D -e -f /etc/ssh/univirt-test.conf")
        # The script text is made of paths this test chose, never of outside data.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "unshare", "--mount", "--uts", "--pid", "--fork",
             f"--mount-proc={self.root}/proc", "sh", "-c", script],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def reachable(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"sshd of {self.name} exited {self.proc.returncode}")
        return run(["ip", "netns", "exec", self.netns, "python3", "-c",
                    "import socket,sys; socket.create_connection((sys.argv[1], 22), 1)",
                    self.address], check=False).returncode == 0

    def close(self):
        if self.proc and self.proc.poll() is None:
            # Killing unshare's child (the PID namespace's init) ends every process inside.
            children = run(["pgrep", "-P", str(self.proc.pid)], check=False).stdout.split()
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), 9)
            self.proc.kill()
            self.proc.wait()
        run(["ip", "netns", "del", self.netns], check=False)

    def listing(self):
        """`find / -xdev` of the node: every path, its type and mode."""
        out = run(["find", ".", "-xdev", "-printf", "%y %m %p\n"], cwd=self.root).stdout
        listing = []
        for line in out.splitlines():
            kind, mode, path = line.split(" ", 2)
            listing.append(f"{kind} {mode} {path[1:] or '/'}")
        return sorted(listing)


def node_root_tar():
    """The cached Debian 12 root for the nodes (images/debian-root.sh, keyed by its packages)."""
    return run([SOURCE_DIR / "images/debian-root.sh", *NODE_BASE_PACKAGES]).stdout.strip()


def deb_depends(debs):
    """The package names the .deb files depend on (first of each alternative)."""
    names = set()
    for deb in debs:
        field = run(["dpkg-deb", "-f", str(deb), "Depends"]).stdout
        for part in field.split(","):
            name = part.split("|")[0].strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return names


def apt_mirror(packages, extra_debs=()):
    """A flat apt repository holding packages, their dependencies, extra_debs and what those
    depend on, cached under CACHE_DIR/apt-mirror keyed by the list and the .debs' contents.
    Downloaded with apt-get from the machine's sources."""
    names = sorted(set(packages) | deb_depends(extra_debs))
    extra = sorted(str(p) for p in extra_debs)
    # A rebuilt .deb keeps its file name: key on its bytes, not its path.
    digests = [hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest() for p in extra]
    key = hashlib.sha256("|".join(names + digests + ["v2"]).encode()).hexdigest()[:16]
    mirror = pathlib.Path(CACHE_DIR) / "apt-mirror" / key
    if (mirror / "Packages").exists():
        return mirror
    partial = mirror.with_name(key + f".partial.{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    closure = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                   "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                   *names]).stdout.split("\n")
    wanted = sorted({line for line in closure if line and line[0].isalnum()})
    run(["apt-get", "download", *wanted], cwd=partial)
    for deb in extra:
        shutil.copy(deb, partial)
    index = run(["dpkg-scanpackages", "--multiversion", "."], cwd=partial).stdout
    (partial / "Packages").write_text(index)
    os.chmod(partial, 0o755)
    shutil.rmtree(mirror, ignore_errors=True)
    partial.rename(mirror)
    return mirror


class RepoServer:
    """Serves a directory over HTTP on (address, ephemeral port) from a thread."""

    def __init__(self, directory, address):
        handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                       {"log_message": lambda *a: None})
        self.server = http.server.ThreadingHTTPServer(
            (address, 0), lambda *a: handler(*a, directory=str(directory)))
        self.url = f"http://{address}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class KubeLite:
    """univirt-kube-lite from the build tree, bound to address, with a kubeconfig for it."""

    def __init__(self, workdir, address):
        binary = BINARY_DIR / "daemons/kube-lite/univirt-kube-lite"
        if not binary.exists():
            raise AssertionError(f"{binary} missing: build it with 'cmake --build {BINARY_DIR} "
                                 "--target univirt-kube-lite'")
        self.kubeconfig = workdir / "kubeconfig"
        port_file = workdir / "kube-lite.port"
        self.log = open(workdir / "kube-lite.log", "w")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", workdir / "kube-lite", "--bind-address", address,
             "--port", "0", "--port-file", port_file, "--write-kubeconfig", self.kubeconfig],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self._check() and port_file.exists() and port_file.read_text().strip()
                 and self.kubeconfig.exists(), 30, "kube-lite to write its port file")

    def _check(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"kube-lite exited {self.proc.returncode}; see {self.log.name}")
        return True

    def kubectl(self, *argv, check=True, **kwargs):
        return run(["kubectl", "--kubeconfig", self.kubeconfig, *argv], check=check, **kwargs)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
