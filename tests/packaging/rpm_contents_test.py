#!/usr/bin/env python3
"""The .rpm packages hold the FHS layout, mark configuration %config(noreplace), declare
their library and systemd requirements and carry the systemd scriptlets (rpm -qp checks;
these RPMs link Debian's libraries, so they are a format and content check)."""
import unittest

from pkgtest import packages, run


def rpm_query(path, *flags):
    return run(["rpm", "-qp", *flags, path]).stdout


class RpmContentsTest(unittest.TestCase):
    def setUp(self):
        (self.daemons,) = [p for p in packages("univirt-daemons-*.rpm")]
        (self.kube_lite,) = [p for p in packages("univirt-kube-lite-*.rpm")]

    def test_files_are_in_fhs_places(self):
        files = rpm_query(self.daemons, "-l").split()
        for path in ["/usr/bin/univirt-virtctl", "/usr/lib/systemd/system/univirt-virtctl.service",
                     "/etc/univirt/univirt.conf", "/etc/univirt/virtctl.env",
                     "/usr/share/univirt/crds/crds.yaml", "/usr/lib/tmpfiles.d/univirt.conf"]:
            self.assertIn(path, files)
        self.assertTrue(any(f.startswith("/usr/share/man/man8/univirt-virtctl.8") for f in files))
        # Directories of the filesystem package are not ours.
        for path in ["/usr", "/usr/bin", "/etc", "/usr/lib/systemd/system"]:
            self.assertNotIn(path, files)
        self.assertIn("/usr/bin/univirt-kube-lite", rpm_query(self.kube_lite, "-l").split())

    def test_configuration_is_config_noreplace(self):
        configs = rpm_query(self.daemons, "-c").split()
        self.assertIn("/etc/univirt/univirt.conf", configs)
        self.assertIn("/etc/univirt/virtctl.env", configs)
        fileflags = rpm_query(self.daemons, "--qf",
                              "[%{FILENAMES} %{FILEFLAGS:fflags}\n]").splitlines()
        flags = dict(line.rsplit(" ", 1) for line in fileflags if line.startswith("/etc/"))
        self.assertIn("n", flags["/etc/univirt/univirt.conf"], "noreplace flag")

    def test_requires_libraries_and_systemd(self):
        requires = rpm_query(self.daemons, "-R")
        self.assertIn("libvirt.so.0()(64bit)", requires)
        self.assertIn("libvirt-libs >= 9.0", requires)
        self.assertRegex(requires, r"(?m)^systemd$")

    def test_scriptlets_enable_stop_and_restart_units(self):
        scripts = rpm_query(self.daemons, "--scripts")
        self.assertIn("postinstall scriptlet", scripts)
        self.assertRegex(scripts, r"systemctl --no-reload preset .*univirt-virtctl\.service|"
                                  r"systemd-update-helper install-system-units")
        self.assertIn("disable --now", scripts)
        self.assertIn("try-restart", scripts)

    def test_version_follows_the_release(self):
        version = rpm_query(self.daemons, "--qf", "%{VERSION}-%{RELEASE}")
        self.assertRegex(version, r"^[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9.+~]*-1")


if __name__ == "__main__":
    unittest.main()
