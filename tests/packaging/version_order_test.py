#!/usr/bin/env python3
"""The package version made from a release version (cmake/packaging.cmake) is valid for dpkg
and rpm and sorts the same way in both: pre-release < release < release.env < next patch."""
import re
import unittest

from pkgtest import SOURCE_DIR, run

# Release versions in the order they must sort.
ORDERED = ["v0.9.10", "v1.0.0-rc1", "v1.0.0", "v1.0.0.air", "v1.0.0.lab", "v1.0.1",
           "v1.0.3-rc2", "v1.0.3", "v1.0.3.gfdx", "v1.0.3.lab", "v1.0.10", "v1.1.0", "v2.0.0"]


def package_version(release):
    out = run(["cmake", f"-DUNIVIRT_VERSION={release}", "-P",
               SOURCE_DIR / "cmake" / "packaging.cmake"]).stdout.strip()
    return out


def dpkg_less(a, b):
    return run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0


def rpm_cmp(a, b):
    out = run(["rpm", "--eval", f'%{{lua: print(rpm.vercmp("{a}", "{b}"))}}']).stdout.strip()
    return int(out)


class PackageVersionTest(unittest.TestCase):
    def test_lab_release_maps_to_plus_suffix(self):
        self.assertEqual(package_version("v1.0.3.lab"), "1.0.3+lab")
        self.assertEqual(package_version("1.0.3"), "1.0.3")
        self.assertEqual(package_version("v1.0.3-rc1"), "1.0.3~rc1")

    def test_versions_are_valid_for_both_formats(self):
        for release in ORDERED:
            version = package_version(release)
            # Debian policy 5.6.12 upstream_version without epoch or '-'; rpm forbids '-'.
            self.assertRegex(version, r"^[0-9][A-Za-z0-9.+~]*$", release)
            self.assertNotIn("-", version)
            run(["dpkg", "--validate-version", f"{version}-1"])

    def test_dpkg_and_rpm_sort_release_versions_in_order(self):
        versions = [package_version(r) for r in ORDERED]
        for (ra, a), (rb, b) in zip(zip(ORDERED, versions), zip(ORDERED[1:], versions[1:])):
            self.assertTrue(dpkg_less(a, b), f"dpkg: {a} ({ra}) should sort before {b} ({rb})")
            self.assertFalse(dpkg_less(b, a), f"dpkg: {b} should not sort before {a}")
            self.assertEqual(rpm_cmp(a, b), -1, f"rpm: {a} ({ra}) should sort before {b} ({rb})")
            self.assertEqual(rpm_cmp(b, a), 1, f"rpm: {b} should sort after {a}")

    def test_malformed_release_version_is_refused(self):
        proc = run(["cmake", "-DUNIVIRT_VERSION=banana", "-P",
                    SOURCE_DIR / "cmake" / "packaging.cmake"], check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertTrue(re.search(r"not v<major>\.<minor>\.<patch>", proc.stderr), proc.stderr)


if __name__ == "__main__":
    unittest.main()
