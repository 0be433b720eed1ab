#!/usr/bin/env python3
"""lintian on every .deb and rpmlint on every .rpm report neither errors nor warnings. What is
deliberate is overridden with a reason: debian/univirt-*.lintian-overrides (shipped in the
packages), rpmspecs/univirt.rpmlintrc and rpmspecs/rpmlint.toml."""
import re
import unittest

from pkgtest import SOURCE_DIR, packages, run, timed


class LintTest(unittest.TestCase):
    def test_lintian_reports_no_errors_or_warnings(self):
        for deb in packages("univirt-*.deb"):
            with timed(f"lintian {deb.name}"):
                proc = run(["lintian", "--fail-on", "error,warning", "--display-info",
                            deb], check=False)
            print(proc.stdout)
            findings = [l for l in proc.stdout.splitlines() if l.startswith(("E:", "W:"))]
            self.assertEqual(findings, [], f"lintian errors or warnings in {deb.name}")
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_rpmlint_reports_no_errors_or_warnings(self):
        rpms = packages("univirt-*.rpm")
        with timed("rpmlint"):
            proc = run(["rpmlint", "--config", SOURCE_DIR / "rpmspecs/rpmlint.toml",
                        "--rpmlintrc", SOURCE_DIR / "rpmspecs/univirt.rpmlintrc",
                        *rpms], check=False)
        print(proc.stdout)
        summary = re.search(r"(\d+) errors?, (\d+) warnings?", proc.stdout)
        self.assertIsNotNone(summary, proc.stdout + proc.stderr)
        self.assertEqual(int(summary.group(1)), 0, proc.stdout)
        self.assertEqual(int(summary.group(2)), 0, proc.stdout)


if __name__ == "__main__":
    unittest.main()
