#!/usr/bin/python3
"""univirt-bundle create from the release under test; leaves the bundle in bundle-test/
(fixture univirt_bundle) for the verify, push and offline-install tests."""

import json
import os
import re
import shutil
import tarfile
import unittest

from offlinetest import (BINARY_DIR, BUNDLE_DIR, bundle_tool, release_root,
                         signing_key)


class BundleCreate(unittest.TestCase):
    def test_creates_signed_bundle_with_repositories_and_dependencies(self):
        release = release_root(fresh=True)
        secret, public = signing_key(release)
        shutil.rmtree(BUNDLE_DIR / "univirt-bundle-tmp", ignore_errors=True)
        for old in BUNDLE_DIR.glob("univirt-bundle-*.tar*"):
            old.unlink()
        proc = bundle_tool("create", "--release", release, "--out", BUNDLE_DIR, "--key", secret,
                           "--deps-cache", BINARY_DIR / "bundle-deps-cache")
        shutil.copy2(public, BUNDLE_DIR / "univirt-release.pub")
        with open(release / "release.json", encoding="utf-8") as f:
            version = json.load(f)["version"]
        tar_path = BUNDLE_DIR / f"univirt-bundle-{version}.tar"
        self.assertEqual(proc.stdout.strip(), str(tar_path))
        # create prints its time and throughput.
        self.assertRegex(proc.stderr, r"created: [0-9.]+ [KMG]?i?B in [0-9.]+ s \([0-9.]+ "
                                      r"[KMG]?i?B/s\)")
        top = f"univirt-bundle-{version}"
        with tarfile.open(tar_path) as tar:
            members = tar.getmembers()
            man = json.load(tar.extractfile(f"{top}/manifest.json"))
        names = [m.name for m in members]
        # The key, the manifest and its signature come first so verify can check the signature
        # before it reads anything else from a stream.
        self.assertEqual(names[0], top)
        files_in_order = [m.name[len(top) + 1:] for m in members if m.isfile()]
        self.assertEqual(files_in_order[:3], ["keys/univirt-release.pub", "manifest.json",
                                              "manifest.json.minisig"])
        self.assertEqual(man["format"], 1)
        self.assertEqual(man["name"], "univirt")
        self.assertEqual(man["version"], version)
        self.assertIn("debian12", man["os"])
        self.assertEqual(man["repositories"]["apt"]["debian12"],
                         {"path": "repos/apt/debian12", "suite": "bookworm",
                          "components": ["main"]})
        self.assertEqual(man["repositories"]["yum"]["el"], {"path": "repos/yum/el"})
        self.assertEqual(man["images"], [{"name": "univirt", "tag": version,
                                          "path": "images/univirt"}])
        paths = {f["path"] for f in man["files"]}
        # Every file but the manifest and its signature is listed, and nothing else.
        self.assertEqual(paths, set(files_in_order) - {"manifest.json",
                                                       "manifest.json.minisig"})
        for f in man["files"]:
            self.assertRegex(f["sha256"], r"^[0-9a-f]{64}$")
        for required in ("keys/univirt-release.pub", "release/release.json",
                         "release/SHA256SUMS", "release/SHA256SUMS.minisig",
                         "release/CHANGELOG.md", "release/sbom.spdx.json",
                         "repos/apt/debian12/dists/bookworm/Release",
                         "repos/apt/debian12/dists/bookworm/main/binary-amd64/Packages",
                         "repos/yum/el/repodata/repomd.xml", "images/univirt/index.json",
                         "images/univirt/oci-layout", "ansible/ansible.cfg"):
            self.assertIn(required, paths)
        self.assertTrue(any(re.match(r"environments/[a-z0-9]+\.env$", p) for p in paths))
        self.assertTrue(any(re.match(r"docs/.+\.md$", p) for p in paths))
        debs = {os.path.basename(p) for p in paths if p.endswith(".deb")}
        self.assertTrue(any(d.startswith("univirt-daemons_") for d in debs))
        # --with-deps (default): what a minbase Debian 12 lacks, e.g. libvirt0 and Poco, plus
        # python3-apt for Ansible; nothing minbase already has (libc6).
        # and the node prerequisites the playbooks install (univirt_packages_debian and chrony).
        for dep in ("libvirt0_", "libpocofoundation80_", "python3-apt_", "bridge-utils_",
                    "libvirt-daemon-system_", "qemu-system-x86_", "openvswitch-switch_",
                    "ceph-common_", "chrony_"):
            self.assertTrue(any(d.startswith(dep) for d in debs), f"{dep} missing in {debs}")
        self.assertFalse(any(d.startswith("libc6_") for d in debs))
        rpms = {os.path.basename(p) for p in paths if p.endswith(".rpm")}
        self.assertTrue(any(r.startswith("univirt-daemons-") for r in rpms))
        print(f"bundle {tar_path}: {os.path.getsize(tar_path)} bytes, {len(paths)} files, "
              f"{len(debs)} debs; {proc.stderr.strip().splitlines()[-1]}")


if __name__ == "__main__":
    unittest.main()
