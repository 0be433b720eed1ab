#!/usr/bin/python3
"""univirt-bundle verify, inspect, extract, split and join on the bundle of the
univirt_bundle fixture; a corrupted byte, an extra file and a wrong key are caught."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from offlinetest import (bundle_pubkey, bundle_tar, bundle_tool, release_root, run,
                         signing_key)


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class BundleVerify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tar = bundle_tar()
        cls.key = bundle_pubkey()
        cls.tmp = tempfile.mkdtemp(prefix="bundle-verify-")
        cls.top = cls.tar.name.removesuffix(".tar")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _extracted(self, name):
        dest = os.path.join(self.tmp, name)
        proc = bundle_tool("extract", self.tar, "--to", dest, "--key", self.key)
        root = os.path.join(dest, self.top)
        self.assertEqual(proc.stdout.strip(), root)
        return root

    def test_verify_accepts_the_bundle_with_the_release_key(self):
        proc = bundle_tool("verify", self.tar, "--key", self.key)
        self.assertRegex(proc.stdout, rf"^OK {self.top}: signature valid, \d+ files")
        self.assertNotIn("integrity only", proc.stderr)

    def test_verify_without_key_warns_integrity_only(self):
        proc = bundle_tool("verify", self.tar)
        self.assertIn("integrity only", proc.stderr)

    def test_verify_rejects_a_foreign_key(self):
        other = os.path.join(self.tmp, "other")
        run(["minisign", "-G", "-W", "-f", "-p", other + ".pub", "-s", other + ".key"])
        proc = bundle_tool("verify", self.tar, "--key", other + ".pub", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("signature check of 'manifest.json' failed", proc.stderr)

    def test_one_corrupted_byte_names_the_file(self):
        with tarfile_member_offset(self.tar, "repos/apt/debian12/pool") as (name, offset):
            bad = os.path.join(self.tmp, "corrupt.tar")
            shutil.copyfile(self.tar, bad)
            with open(bad, "r+b") as f:
                f.seek(offset + 100)
                byte = f.read(1)
                f.seek(offset + 100)
                f.write(bytes([byte[0] ^ 0xFF]))
        proc = bundle_tool("verify", bad, "--key", self.key, check=False)
        self.assertEqual(proc.returncode, 1)
        rel = name.split("/", 1)[1]
        self.assertIn(f"bundle file '{rel}' does not match its sha256", proc.stderr)
        # extract leaves nothing behind when verification fails.
        dest = os.path.join(self.tmp, "corrupt-extract")
        proc = bundle_tool("extract", bad, "--to", dest, "--key", self.key, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(os.listdir(dest), [])

    def test_extracted_directory_verifies_and_catches_changes(self):
        root = self._extracted("dir")
        bundle_tool("verify", root, "--key", self.key)
        extra = os.path.join(root, "docs", "unlisted.md")
        with open(extra, "w", encoding="utf-8") as f:
            f.write("not in the manifest\n")
        proc = bundle_tool("verify", root, "--key", self.key, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("bundle file 'docs/unlisted.md' is not listed in the manifest",
                      proc.stderr)
        os.remove(extra)
        os.remove(os.path.join(root, "release", "CHANGELOG.md"))
        proc = bundle_tool("verify", root, "--key", self.key, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("'release/CHANGELOG.md' listed in the manifest is missing", proc.stderr)

    def test_manifest_edit_breaks_the_signature(self):
        root = self._extracted("edit")
        path = os.path.join(root, "manifest.json")
        with open(path, encoding="utf-8") as f:
            man = json.load(f)
        man["version"] = "v9.9.9"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(man, f)
        proc = bundle_tool("verify", root, "--key", self.key, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("signature check of 'manifest.json' failed", proc.stderr)

    def test_split_verify_first_part_and_join(self):
        parts_dir = os.path.join(self.tmp, "split")
        os.makedirs(parts_dir)
        copy = os.path.join(parts_dir, self.tar.name)
        shutil.copyfile(self.tar, copy)
        size = os.path.getsize(copy)
        part_size = size // 3 + 1
        parts = bundle_tool("split", copy, "--size", str(part_size)).stdout.split()
        self.assertEqual(len(parts), 3)
        self.assertTrue(parts[0].endswith(".tar.part-000"))
        self.assertEqual(sum(os.path.getsize(p) for p in parts), size)
        os.remove(copy)
        bundle_tool("verify", parts[0], "--key", self.key)
        bundle_tool("inspect", parts[0], "--key", self.key)
        joined = bundle_tool("join", parts[0]).stdout.strip()
        self.assertEqual(joined, copy)
        self.assertEqual(_sha256(joined), _sha256(self.tar))
        # A missing last part is reported, not silently accepted.
        os.remove(parts[2])
        proc = bundle_tool("verify", parts[0], "--key", self.key, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"missing|truncated")

    def test_create_split_size_writes_parts_that_verify(self):
        release = release_root()
        secret, public = signing_key(release)
        out = os.path.join(self.tmp, "create-split")
        proc = bundle_tool("create", "--release", release, "--out", out, "--key", secret,
                           "--no-deps", "--split-size", "8M")
        parts = proc.stdout.split()
        self.assertGreater(len(parts), 1)
        self.assertTrue(all(os.path.getsize(p) <= 8 << 20 for p in parts))
        bundle_tool("verify", parts[0], "--key", public)

    def test_create_is_reproducible(self):
        """Two creates of one release give the same bytes (dates from the source epoch)."""
        release = release_root()
        secret, _ = signing_key(release)
        digests = []
        for run_name in ("repro-a", "repro-b"):
            out = os.path.join(self.tmp, run_name)
            (tar,) = bundle_tool("create", "--release", release, "--out", out, "--key", secret,
                                 "--no-deps").stdout.split()
            digests.append(_sha256(tar))
        self.assertEqual(digests[0], digests[1])

    def test_inspect_lists_contents(self):
        proc = bundle_tool("inspect", self.tar, "--key", self.key, "--files")
        version = self.top.removeprefix("univirt-bundle-")
        self.assertIn(f"bundle   univirt {version} (format 1)", proc.stdout)
        self.assertRegex(proc.stdout, r"repo +apt/debian12: repos/apt/debian12 suite bookworm, "
                                      r"\d+ packages")
        self.assertIn(f"image    univirt:{version} at images/univirt", proc.stdout)
        self.assertRegex(proc.stdout, r"[0-9a-f]{64} +\d+ +ansible/ansible.cfg")
        man = json.loads(bundle_tool("inspect", self.tar, "--json", "--no-verify").stdout)
        self.assertEqual(man["version"], version)

    def test_apt_repository_serves_the_packages(self):
        """apt itself reads the bundle's repository (file: URI, own state dirs)."""
        root = self._extracted("apt")
        state = os.path.join(self.tmp, "apt-state")
        for d in ("lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(state, d), exist_ok=True)
        sources = os.path.join(state, "sources.list")
        with open(sources, "w", encoding="utf-8") as f:
            f.write(f"deb [trusted=yes] file:{root}/repos/apt/debian12 bookworm main\n")
        opts = ["-o", f"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
                "-o", f"Dir::State::Lists={state}/lists", "-o", f"Dir::Cache={state}/cache",
                "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root"]
        run(["apt-get", *opts, "update"])
        policy = run(["apt-cache", *opts, "policy", "univirt-daemons", "libvirt0"]).stdout
        self.assertIn(f"file:{root}/repos/apt/debian12 bookworm/main amd64 Packages", policy)
        self.assertEqual(policy.count(f"file:{root}/repos/apt/debian12"), 2)

    def test_yum_repository_metadata_lists_the_rpms(self):
        root = self._extracted("yum")
        with open(os.path.join(root, "repos/yum/el/repodata/repomd.xml"),
                  encoding="utf-8") as f:
            repomd = f.read()
        self.assertIn("primary", repomd)
        primary = os.path.join(root, "repos/yum/el/repodata/primary.xml.gz")
        text = subprocess.run(["zcat", primary], check=True, capture_output=True,
                              text=True).stdout
        rpms = [n for n in os.listdir(os.path.join(root, "repos/yum/el")) if n.endswith(".rpm")]
        self.assertEqual(text.count("<package type=\"rpm\">"), len(rpms))


class tarfile_member_offset:
    """Context manager yielding (member name, data offset) of the first file under prefix."""

    def __init__(self, path, prefix):
        self.path = path
        self.prefix = prefix

    def __enter__(self):
        import tarfile
        with tarfile.open(self.path) as tar:
            for m in tar.getmembers():
                if m.isfile() and m.name.split("/", 1)[-1].startswith(self.prefix) \
                        and m.size > 200:
                    return m.name, m.offset_data
        raise AssertionError(f"no file under {self.prefix} in {self.path}")

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    unittest.main()
