#!/usr/bin/env python3
"""The systemd units in installer/systemd: systemd-analyze verify finds nothing wrong but the
binaries not being installed on this machine; every unit restarts on failure, starts after
libvirtd, reads its EnvironmentFile and is hardened (systemd-analyze security exposure,
printed, must stay under each unit's ceiling)."""
import re
import unittest

from pkgtest import SOURCE_DIR, run

UNIT_DIR = SOURCE_DIR / "installer/systemd"
DAEMONS = ["virtctl", "virtlet", "libvirtwatcher", "virtmonitor"]
# systemd-analyze security exposure ceilings (0 = locked down, 10 = unprotected). virtctl
# mounts storage for libvirtd and so stays in the host mount namespace with its capabilities.
CEILING = {"virtctl": 7.5, "virtlet": 4.5, "libvirtwatcher": 4.0, "virtmonitor": 4.0,
           "kube-lite": 3.5}


def unit_path(name):
    return UNIT_DIR / f"univirt-{name}.service"


class UnitsTest(unittest.TestCase):
    def test_systemd_analyze_verify_reports_only_missing_binaries(self):
        for name in CEILING:
            proc = run(["systemd-analyze", "verify", "--man=no", unit_path(name)], check=False)
            problems = [l for l in proc.stderr.splitlines()
                        if not re.search(r"Command /usr/bin/univirt-[a-z-]+ is not executable", l)]
            self.assertEqual(problems, [], name)

    def test_daemon_units_restart_after_libvirtd_with_environment_file(self):
        for name in DAEMONS:
            text = unit_path(name).read_text()
            self.assertIn("Restart=on-failure", text, name)
            self.assertIn("RestartPreventExitStatus=2", text, name)
            self.assertRegex(text, r"(?m)^After=.*\blibvirtd\.service\b", name)
            self.assertIn(f"EnvironmentFile=-/etc/univirt/{name}.env", text, name)
            self.assertIn(f"ExecStart=/usr/bin/univirt-{name}\n", text, name)
            self.assertIn("NoNewPrivileges=yes", text, name)
            self.assertTrue((UNIT_DIR / f"{name}.env").exists(), name)
        kube_lite = unit_path("kube-lite").read_text()
        self.assertIn("DynamicUser=yes", kube_lite)
        self.assertIn("EnvironmentFile=-/etc/univirt/kube-lite.env", kube_lite)

    def test_exposure_stays_under_each_units_ceiling(self):
        for name, ceiling in CEILING.items():
            out = run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                       unit_path(name)], check=False).stdout
            match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
            self.assertIsNotNone(match, out)
            exposure = float(match.group(1))
            print(f"exposure: univirt-{name}.service {exposure}")
            self.assertLessEqual(exposure, ceiling, f"univirt-{name}.service")


if __name__ == "__main__":
    unittest.main()
