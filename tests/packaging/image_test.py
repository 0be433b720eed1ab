#!/usr/bin/env python3
"""Builds the univirt OCI image from the .deb packages without a Docker daemon
(images/build-image.sh: mmdebstrap root cached on disk + umoci), pushes it with skopeo to a
real registry (Debian's docker-registry on 127.0.0.1), inspects it there, pulls it back,
and runs the daemons' --version from its root filesystem in a chroot. Checks the OCI labels,
the SBOM, the non-root default user and the size budget (60 MB compressed without the Ceph
libraries, 90 MB with them)."""
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.request

from pkgtest import BINARY_DIR, PACKAGE_DIR, SOURCE_DIR, run, timed, wait_for

LAYOUT = BINARY_DIR / "image" / "oci"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def registry_up(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with timed("images/build-image.sh"):
            cls.build = run([SOURCE_DIR / "images/build-image.sh", "--debs", PACKAGE_DIR,
                             "--output", LAYOUT])
        print(cls.build.stdout)
        index = json.loads((LAYOUT / "index.json").read_text())
        cls.tag = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-image-"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_push_inspect_pull_and_run(self):
        port = free_port()
        config = self.tmp / "registry.yml"
        config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
                          f"{self.tmp / 'registry'}\nhttp:\n  addr: 127.0.0.1:{port}\n")
        log = open(self.tmp / "registry.log", "wb")  # pylint: disable=consider-using-with
        registry = subprocess.Popen(["docker-registry", "serve", config], stdout=log, stderr=log)
        try:
            wait_for(lambda: registry_up(port) or registry.poll() is not None, 30,
                     "docker-registry to answer /v2/")
            self.assertIsNone(registry.poll(), (self.tmp / "registry.log").read_text())
            ref = f"docker://127.0.0.1:{port}/univirt:{self.tag}"
            with timed("skopeo copy (push)"):
                run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{LAYOUT}:{self.tag}", ref])
            info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", ref]).stdout)
            labels = info["Labels"]
            self.assertRegex(labels["org.opencontainers.image.version"], r"^[0-9]+\.[0-9]+\.[0-9]+")
            self.assertRegex(labels["org.opencontainers.image.revision"], r"^[0-9a-f]{40}$|^unknown$")
            self.assertEqual(labels["org.opencontainers.image.source"],
                             "https://github.com/kubesys/uni-virt")
            self.assertEqual(len(info["Layers"]), 2)
            raw = json.loads(run(["skopeo", "inspect", "--config", "--tls-verify=false",
                                  ref]).stdout)
            self.assertEqual(raw["config"]["User"], "65534:65534", "image runs as nobody")

            pulled = self.tmp / "pulled"
            with timed("skopeo copy (pull) + umoci unpack"):
                run(["skopeo", "copy", "--src-tls-verify=false", ref, f"oci:{pulled}:{self.tag}"])
                run(["umoci", "unpack", "--image", f"{pulled}:{self.tag}", self.tmp / "bundle"])
            rootfs = self.tmp / "bundle" / "rootfs"
            daemons = sorted(p.name for p in (rootfs / "usr/bin").glob("univirt-*"))
            self.assertIn("univirt-virtctl", daemons)
            self.assertNotIn("univirt-kube-lite", daemons, "kube-lite is not part of the image")
            self.assertFalse((rootfs / "usr/bin/bash").exists(), "no shell in the slim image")
            # Each node daemon starts (so every library it needs is in the image) as nobody.
            for name in ["virtctl", "virtlet", "libvirtwatcher", "virtmonitor"]:
                if f"univirt-{name}" not in daemons:
                    continue
                out = run(["chroot", "--userspec=65534:65534", rootfs,
                           f"/usr/bin/univirt-{name}", "--version"]).stdout
                self.assertRegex(out, rf"^{name} [0-9]+\.[0-9]+\.[0-9]+")
        finally:
            registry.terminate()
            registry.wait(timeout=30)
            log.close()

    def test_sbom_lists_debian_packages_and_univirt(self):
        sbom = json.loads((LAYOUT / "sbom.spdx.json").read_text())
        self.assertEqual(sbom["spdxVersion"], "SPDX-2.3")
        names = {p["name"]: p for p in sbom["packages"]}
        self.assertIn("univirt-daemons", names)
        self.assertIn("libvirt0", names)
        self.assertIn("libc6", names)
        self.assertNotIn("perl", names, "usrmerge/perl must not be in the image")

    def test_size_is_within_budget(self):
        sizes = run([sys.executable, SOURCE_DIR / "images/layer-sizes.py", LAYOUT, self.tag]).stdout
        print(sizes)
        total_line = [l for l in sizes.splitlines() if l.startswith("image total")][0]
        compressed_mb = float(total_line.split()[2])
        sbom = json.loads((LAYOUT / "sbom.spdx.json").read_text())
        with_ceph = any(p["name"] in ("librados2", "librbd1") for p in sbom["packages"])
        budget = 90.0 if with_ceph else 60.0
        self.assertLessEqual(compressed_mb, budget,
                             f"image is {compressed_mb} MB compressed (Ceph: {with_ceph})")


if __name__ == "__main__":
    unittest.main()
