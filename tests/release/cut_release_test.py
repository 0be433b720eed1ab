#!/usr/bin/env python3
"""Cuts a Debian 12 release of the tree under test with release/cut-release (a throwaway minisign
key, --no-tests, the suite's build tree) and checks what it wrote: the layout other tools
consume, SHA256SUMS and its signature, the version and commit in the shipped binaries, the
package version mapping, the refusals, and that a second cut of the same commit has the same
package contents. The release stays in <build>/release-test/ for the offline bundle tests
(ctest fixture univirt_release); the throwaway key pair next to it in release-test/key/."""
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

SOURCE_DIR = pathlib.Path(os.environ.get("UNIVIRT_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[2]))
BINARY_DIR = pathlib.Path(os.environ.get("UNIVIRT_BINARY_DIR", SOURCE_DIR / "build" / "ci"))
CUT = SOURCE_DIR / "release" / "cut-release"
OUT = BINARY_DIR / "release-test"
VERSION = "v1.0.3.lab"
PACKAGE_VERSION = "1.0.3+lab"
RELEASE = OUT / f"univirt-{VERSION}"
ALLOW_DIRTY = {"UNIVIRT_RELEASE_TESTS_ONLY_ALLOW_DIRTY": "1"}


def run(argv, check=True, env_extra=None, **kwargs):
    """Runs argv (never a shell); on failure raises with the command and its output."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("UNIVIRT_RELEASE_TESTS_ONLY_ALLOW_DIRTY", "UNIVIRT_SIGNING_KEY_FILE")}
    env.update(env_extra or {})
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    proc = subprocess.run([str(a) for a in argv], check=False, env=env, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"command {' '.join(map(str, argv))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def cut(out, key, *extra):
    start = time.monotonic()
    proc = run([CUT, VERSION, "--no-tests", "--build-dir", BINARY_DIR, "--out", out,
                "--key", key, *extra], env_extra=ALLOW_DIRTY)
    print(f"timing: cut-release {VERSION} into {out}: {time.monotonic() - start:.1f} s",
          file=sys.stderr, flush=True)
    for line in proc.stdout.splitlines():
        if line.startswith("cut-release:   "):  # the per-step timing summary
            print(line, file=sys.stderr)
    return proc


def make_key(directory):
    directory.mkdir(parents=True, exist_ok=True)
    key, pub = directory / "univirt-release.key", directory / "univirt-release.pub"
    for path in (key, pub):
        path.unlink(missing_ok=True)
    run(["minisign", "-G", "-W", "-p", pub, "-s", key], stdin=subprocess.DEVNULL)
    return key, pub


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deb_contents(path):
    """Every member of the .deb's data and control archives: name, mode, owner, mtime, link,
    content digest; what must not change between two cuts of one commit."""
    members = []
    for what in ("--fsys-tarfile", "--ctrl-tarfile"):
        data = run(["dpkg-deb", what, path], text=False).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for m in tar.getmembers():
                digest = hashlib.sha256(tar.extractfile(m).read()).hexdigest() if m.isfile() else ""
                members.append((what, m.name, m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime,
                                m.linkname, digest))
    return members


def rpm_contents(path):
    query = "%{NAME} %{VERSION} %{RELEASE} %{ARCH}\n[%{REQUIRENAME} ]\n"
    header = run(["rpm", "-qp", "--nosignature", "--qf", query, path]).stdout
    files = run(["rpm", "-qp", "--nosignature", "--dump", path]).stdout
    return header + files


def cached_release_version():
    for line in (BINARY_DIR / "CMakeCache.txt").read_text().splitlines():
        if line.startswith("UNIVIRT_RELEASE_VERSION:"):
            return line.split("=", 1)[1]
    return ""


PREVIOUS_RELEASE_VERSION = cached_release_version()


def tearDownModule():
    # The cut set the release version in the suite's tree (a cache variable): put back what
    # it had, so later builds of this tree carry the git tag's version again.
    if cached_release_version() != PREVIOUS_RELEASE_VERSION:
        run(["cmake", "-S", SOURCE_DIR, "-B", BINARY_DIR,
             f"-DUNIVIRT_RELEASE_VERSION={PREVIOUS_RELEASE_VERSION}"])


class CutRelease(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if RELEASE.exists():
            shutil.rmtree(RELEASE)
        cls.key, cls.pub = make_key(OUT / "key")
        cls.proc = cut(OUT, cls.key)
        cls.commit = run(["git", "rev-parse", "HEAD"], cwd=SOURCE_DIR).stdout.strip()
        cls.info = json.loads((RELEASE / "release.json").read_text())

    def test_layout_is_the_contract(self):
        self.assertEqual((RELEASE / "VERSION").read_text(), VERSION + "\n")
        for name in ["release.json", "CHANGELOG.md", "environment.env", "sbom.spdx.json",
                     "SHA256SUMS", "SHA256SUMS.minisig", "univirt-release.pub",
                     "images/univirt/oci-layout", "images/univirt/index.json"]:
            self.assertTrue((RELEASE / name).is_file(), name)
        info = self.info
        self.assertEqual(info["version"], VERSION)
        self.assertEqual(info["package_version"], PACKAGE_VERSION)
        self.assertEqual(info["environment"], "lab")
        self.assertEqual(info["commit"], self.commit)
        self.assertEqual(info["os"], ["debian12"])
        self.assertEqual(info["images"], [{"name": "univirt", "tag": VERSION,
                                           "path": "images/univirt"}])
        epoch = run(["git", "log", "-1", "--format=%ct"], cwd=SOURCE_DIR).stdout.strip()
        self.assertEqual(info["source_date_epoch"], int(epoch))
        for kind in ("deb", "rpm"):
            listed = sorted(info["packages"]["debian12"][kind])
            present = sorted(p.name for p in (RELEASE / "debian12" / kind).iterdir())
            self.assertEqual(listed, present)
        debs = {name.split("_")[0] for name in info["packages"]["debian12"]["deb"]}
        self.assertTrue({"univirt-daemons", "univirt-kube-lite", "univirt-ansible"} <= debs, debs)
        self.assertEqual(len(info["packages"]["debian12"]["rpm"]), len(debs))
        self.assertEqual((RELEASE / "environment.env").read_bytes(),
                         (SOURCE_DIR / "release" / "environments" / "lab.env").read_bytes())
        sbom = json.loads((RELEASE / "sbom.spdx.json").read_text())
        self.assertEqual(sbom["spdxVersion"], "SPDX-2.3")
        versions = {p["name"]: p["versionInfo"] for p in sbom["packages"]}
        self.assertEqual(versions["univirt-daemons"], f"{PACKAGE_VERSION}-1")

    def test_image_is_tagged_with_the_version(self):
        index = json.loads((RELEASE / "images/univirt/index.json").read_text())
        tags = [m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                for m in index["manifests"]]
        self.assertEqual(tags, [VERSION])
        proc = run(["skopeo", "inspect", "--config", f"oci:{RELEASE / 'images/univirt'}:{VERSION}"])
        labels = json.loads(proc.stdout)["config"]["Labels"]
        self.assertEqual(labels["org.opencontainers.image.revision"], self.commit)
        self.assertEqual(labels["org.opencontainers.image.version"], PACKAGE_VERSION)

    def test_changelog_is_this_versions_section(self):
        text = (RELEASE / "CHANGELOG.md").read_text()
        self.assertTrue(text.startswith(f"# univirt {VERSION} ("), text[:80])
        subject = run(["git", "log", "-1", "--format=%s"], cwd=SOURCE_DIR).stdout.strip()
        self.assertIn(f"- {subject} ({self.commit[:12]}", text)

    def test_sha256sums_cover_every_file_and_verify(self):
        listed = sorted(line.split("  ", 1)[1] for line in
                        (RELEASE / "SHA256SUMS").read_text().splitlines())
        unsigned = {"SHA256SUMS", "SHA256SUMS.minisig", "univirt-release.pub"}
        present = sorted(p.relative_to(RELEASE).as_posix() for p in RELEASE.rglob("*")
                         if p.is_file() and p.relative_to(RELEASE).as_posix() not in unsigned)
        self.assertEqual(listed, present)
        run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=RELEASE)
        # The check can fail: one changed byte in a copy is found and named.
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp) / "r"
            shutil.copytree(RELEASE, copy)
            env = copy / "environment.env"
            data = bytearray(env.read_bytes())
            data[0] ^= 1
            env.write_bytes(bytes(data))
            proc = run(["sha256sum", "-c", "SHA256SUMS"], cwd=copy, check=False)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("environment.env: FAILED", proc.stdout)

    def test_signature_verifies_with_the_release_key(self):
        self.assertEqual((RELEASE / "univirt-release.pub").read_text(), self.pub.read_text())
        proc = run(["minisign", "-V", "-p", RELEASE / "univirt-release.pub",
                    "-m", RELEASE / "SHA256SUMS"])
        self.assertIn(f"univirt {VERSION} commit {self.commit[:12]}", proc.stdout)
        with tempfile.TemporaryDirectory() as tmp:
            forged = pathlib.Path(tmp) / "SHA256SUMS"
            forged.write_text((RELEASE / "SHA256SUMS").read_text() + "0" * 64 + "  extra\n")
            proc = run(["minisign", "-V", "-p", RELEASE / "univirt-release.pub", "-m", forged,
                        "-x", RELEASE / "SHA256SUMS.minisig"], check=False)
            self.assertNotEqual(proc.returncode, 0)

    def test_shipped_binaries_print_version_and_commit(self):
        (deb,) = (RELEASE / "debian12" / "deb").glob("univirt-daemons_*.deb")
        with tempfile.TemporaryDirectory() as tmp:
            run(["dpkg-deb", "-x", deb, tmp])
            for name in ["virtctl", "virtlet", "libvirtwatcher", "virtmonitor"]:
                proc = run([pathlib.Path(tmp) / "usr/bin" / f"univirt-{name}", "--version"])
                self.assertEqual(proc.stdout,
                                 f"{name} {VERSION[1:]} (commit {self.commit[:12]})\n")
        checked = self.info["version_check"]
        for name in ["virtctl", "virtlet", "libvirtwatcher", "virtmonitor"]:
            self.assertEqual(checked[f"univirt-{name}"], "ok")
        missing = sorted(k for k, v in checked.items() if v != "ok")
        if missing:
            print(f"binaries without --version: {', '.join(missing)}", file=sys.stderr)

    def test_package_versions_map_the_release_version(self):
        for deb in (RELEASE / "debian12" / "deb").glob("*.deb"):
            version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()
            self.assertEqual(version, f"{PACKAGE_VERSION}-1", deb.name)
        for rpm in (RELEASE / "debian12" / "rpm").glob("*.rpm"):
            version = run(["rpm", "-qp", "--nosignature", "--qf", "%{VERSION}", rpm]).stdout
            self.assertEqual(version, PACKAGE_VERSION, rpm.name)

    def test_second_cut_of_the_same_commit_has_the_same_packages(self):
        with tempfile.TemporaryDirectory() as tmp:
            cut(pathlib.Path(tmp), self.key)
            second = pathlib.Path(tmp) / f"univirt-{VERSION}"
            for kind in ("deb", "rpm"):
                first_names = sorted(p.name for p in (RELEASE / "debian12" / kind).iterdir())
                second_names = sorted(p.name for p in (second / "debian12" / kind).iterdir())
                self.assertEqual(first_names, second_names)
            for name in sorted(p.name for p in (RELEASE / "debian12" / "deb").iterdir()):
                a, b = RELEASE / "debian12/deb" / name, second / "debian12/deb" / name
                self.assertEqual(deb_contents(a), deb_contents(b), name)
                self.assertEqual(sha256(a), sha256(b), f"{name} differs byte-wise")
            for rpm in sorted((RELEASE / "debian12/rpm").iterdir()):
                other = second / "debian12/rpm" / rpm.name
                self.assertEqual(rpm_contents(rpm), rpm_contents(other), rpm.name)
                self.assertEqual(sha256(rpm), sha256(other), f"{rpm.name} differs byte-wise")
            for same in ["images/univirt/index.json", "sbom.spdx.json", "CHANGELOG.md"]:
                self.assertEqual((RELEASE / same).read_bytes(), (second / same).read_bytes(),
                                 f"{same} differs between two cuts")


class Refusals(unittest.TestCase):
    """Checks that end the cut before anything is built or written."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        cls.key, _ = make_key(cls.dir / "key")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def refused(self, argv, expect, cut_release=CUT, **kwargs):
        out = self.dir / "out"
        proc = run([cut_release, *argv], check=False, **kwargs)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn(expect, proc.stderr)
        self.assertFalse(out.exists(), "a refused cut wrote output")
        return proc

    def common(self):
        return ["--out", self.dir / "out", "--build-dir", self.dir / "build", "--key", self.key,
                "--no-tests"]

    def test_bad_versions(self):
        for version in ["1.0.3.lab", "v1.0.3", "v1.0.lab", "v1.0.3.LAB", "v1.0.3.lab.x",
                        "v01.0.3.lab", "v1.0.3.lab\n", "v1.0.3-rc1.lab", ""]:
            self.refused([version, *self.common()], "is not v<major>.<minor>.<patch>.<env>")

    def test_unknown_environment(self):
        proc = self.refused(["v1.0.3.prod", *self.common()], "environment 'prod'")
        self.assertIn("known: air, gfdx, lab", proc.stderr)

    def test_other_os_without_build_root(self):
        for target, needs in [("ubuntu22", "Ubuntu 22.04"), ("el7", "CentOS/RHEL 7")]:
            proc = self.refused([VERSION, "--os", f"debian12,{target}", *self.common()],
                                f"{target} needs a build root of {needs}")
            self.assertIn("This host is", proc.stderr)
            self.assertIn("/etc/os-release ID=", proc.stderr)

    def test_key_never_from_the_command_line(self):
        material = self.key.read_text()
        for value in [material, material.splitlines()[1]]:
            argv = [VERSION, "--out", self.dir / "out", "--build-dir", self.dir / "b", "--no-tests",
                    "--key", value]
            proc = self.refused(argv, "given on the command line")
            self.assertNotIn(material.splitlines()[1], proc.stdout + proc.stderr)
        proc = run([CUT, VERSION, "--key-data", "x"], check=False)
        self.assertEqual(proc.returncode, 2)  # no such option
        self.refused([VERSION, "--out", self.dir / "out", "--no-tests"], "no signing key")

    def test_environment_file_without_secrets(self):
        env_file = self.dir / "secret.env"
        lines = (SOURCE_DIR / "release/environments/lab.env").read_text()
        env_file.write_text(lines + "UNIVIRT_NEXUS_PASSWORD=admin123\n")
        proc = self.refused([VERSION, "--env-file", env_file, *self.common()],
                            "looks like a secret")
        self.assertNotIn("admin123", proc.stderr)
        env_file.write_text(lines.replace("UNIVIRT_ENVIRONMENT=lab", "UNIVIRT_ENVIRONMENT=air"))
        self.refused([VERSION, "--env-file", env_file, *self.common()], "is for environment 'air'")

    def test_dirty_tree(self):
        repo = self.dir / "repo"
        shutil.copytree(SOURCE_DIR / "release", repo / "release",
                        ignore=shutil.ignore_patterns("__pycache__"))
        git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
        run(["git", "init", "-q", repo])
        run([*git, "add", "release"])
        run([*git, "commit", "-q", "-m", "release tools"])
        copied = repo / "release" / "cut-release"
        (repo / "notes.txt").write_text("uncommitted\n")
        self.refused([VERSION, *self.common()], "?? notes.txt", cut_release=copied)
        (repo / "notes.txt").unlink()
        with open(repo / "release/environments/lab.env", "a", encoding="utf-8") as f:
            f.write("# edited\n")
        self.refused([VERSION, *self.common()], " M release/environments/lab.env",
                     cut_release=copied)


if __name__ == "__main__":
    unittest.main()
