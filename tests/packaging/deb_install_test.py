#!/usr/bin/env python3
"""Installs the .deb packages into a clean Debian 12 root (mmdebstrap, cached on disk keyed by
the package list, shared with the image build) with dpkg in a chroot, and checks the files,
the unit enablement done by the maintainer scripts, `univirt-virtctl --version`, and that
remove keeps data and configuration while purge deletes them."""
import pathlib
import shutil
import tempfile
import unittest

from pkgtest import SOURCE_DIR, deb, run, timed

IMAGES = SOURCE_DIR / "images"
WANTS = "etc/systemd/system/multi-user.target.wants"


class DebInstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.debs = [deb("univirt-daemons"), deb("univirt-kube-lite")]
        names = run([IMAGES / "runtime-packages.sh", *cls.debs]).stdout.split()
        with timed("debian root (cached after the first run)"):
            root_tar = run([IMAGES / "debian-root.sh", *names]).stdout.strip()
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="univirt-deb-root-"))
        cls.root = cls.tmp / "root"
        cls.root.mkdir()
        with timed("unpack the root"):
            run(["tar", "-xf", root_tar, "-C", cls.root])
        # The cached root leaves docs and man pages out; this test checks ours are installed.
        (cls.root / "etc/dpkg/dpkg.cfg.d/99mmdebstrap").unlink(missing_ok=True)
        for path in cls.debs:
            shutil.copy(path, cls.root / "tmp")
        with timed("dpkg -i"):
            cls.install = run(["chroot", cls.root, "dpkg", "-i",
                               *[f"/tmp/{p.name}" for p in cls.debs]], check=False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def chroot(self, *argv, check=True):
        return run(["chroot", self.root, *argv], check=check)

    def test_1_install_succeeds_with_dependencies_satisfied(self):
        self.assertEqual(self.install.returncode, 0, self.install.stdout + self.install.stderr)
        status = self.chroot("dpkg-query", "-W", "-f", "${Package} ${Status}\n",
                             "univirt-daemons", "univirt-kube-lite").stdout
        self.assertEqual(status.count("install ok installed"), 2, status)

    def test_2_files_units_and_man_pages_are_installed(self):
        for path in ["usr/bin/univirt-virtctl", "usr/bin/univirt-kube-lite",
                     "usr/lib/systemd/system/univirt-virtctl.service",
                     "usr/lib/systemd/system/univirt-kube-lite.service",
                     "etc/univirt/univirt.conf", "etc/univirt/virtctl.env",
                     "etc/univirt/kube-lite.env", "usr/share/man/man8/univirt-virtctl.8.gz",
                     "usr/share/doc/univirt-daemons/copyright",
                     "usr/share/univirt/crds/crds.yaml"]:
            self.assertTrue((self.root / path).exists(), f"/{path} missing")
        conffiles = (self.root / "var/lib/dpkg/info/univirt-daemons.conffiles").read_text()
        self.assertIn("/etc/univirt/univirt.conf", conffiles)
        unit = (self.root / "usr/lib/systemd/system/univirt-virtctl.service").read_text()
        for line in ["Restart=on-failure", "After=network-online.target libvirtd.service",
                     "EnvironmentFile=-/etc/univirt/virtctl.env", "NoNewPrivileges=yes"]:
            self.assertIn(line, unit)

    def test_3_maintainer_scripts_enable_the_units(self):
        for unit in ["univirt-virtctl.service", "univirt-kube-lite.service"]:
            link = self.root / WANTS / unit
            self.assertTrue(link.is_symlink(), f"/{WANTS}/{unit} not enabled")

    def test_4_virtctl_runs_in_the_root(self):
        out = self.chroot("univirt-virtctl", "--version").stdout
        self.assertRegex(out, r"^virtctl [0-9]+\.[0-9]+\.[0-9]+")
        # Every shipped binary finds its libraries (ldd reports nothing missing).
        for binary in sorted((self.root / "usr/bin").glob("univirt-*")):
            ldd = self.chroot("ldd", f"/usr/bin/{binary.name}").stdout
            self.assertNotIn("not found", ldd, binary.name)

    def test_5_remove_keeps_data_and_purge_deletes_it(self):
        state = self.root / "var/lib/univirt-kube-lite"
        state.mkdir(parents=True, exist_ok=True)
        (state / "store.db").write_text("data")
        vm_disk = self.root / "var/lib/univirt/vm1.qcow2"
        vm_disk.parent.mkdir(parents=True, exist_ok=True)
        vm_disk.write_text("a user's disk")
        lock = self.root / "run/univirt/virtctl.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text("")
        with timed("dpkg -r / -P"):
            self.chroot("dpkg", "-r", "univirt-kube-lite")
            self.assertTrue((state / "store.db").exists(), "remove deleted kube-lite's data")
            self.assertTrue((self.root / "etc/univirt/kube-lite.env").exists(),
                            "remove deleted a conffile")
            self.assertFalse((self.root / "usr/bin/univirt-kube-lite").exists())
            self.chroot("dpkg", "-P", "univirt-kube-lite")
            self.assertFalse(state.exists(), "purge left /var/lib/univirt-kube-lite")
            self.assertFalse((self.root / "etc/univirt/kube-lite.env").exists())
            self.assertFalse((self.root / WANTS / "univirt-kube-lite.service").exists())
            self.assertTrue(lock.exists())
            self.chroot("dpkg", "-P", "univirt-daemons")
        self.assertFalse((self.root / "etc/univirt/univirt.conf").exists())
        self.assertFalse((self.root / "run/univirt").exists())
        self.assertTrue(vm_disk.exists(), "purge must not delete VM disks under /var/lib/univirt")


if __name__ == "__main__":
    unittest.main()
