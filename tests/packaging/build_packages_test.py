#!/usr/bin/env python3
"""Builds the .deb and .rpm packages of this build tree (the `packages` target: binaries, man
pages, CPack) and checks one package of each kind exists per expected name. The other
packaging tests use these files (ctest fixture univirt_packages)."""
import unittest

from pkgtest import BINARY_DIR, PACKAGE_DIR, packages, run, timed


class BuildPackagesTest(unittest.TestCase):
    def test_packages_target_builds_deb_and_rpm(self):
        for old in list(PACKAGE_DIR.glob("univirt-*.deb")) + list(PACKAGE_DIR.glob("univirt-*.rpm")):
            old.unlink()
        with timed("cmake --build --target packages"):
            run(["cmake", "--build", BINARY_DIR, "--target", "packages"])
        debs = {p.name.split("_")[0] for p in packages("univirt-*.deb")}
        rpms = {p.name.rsplit("-", 2)[0] for p in packages("univirt-*.rpm")}
        for name in ["univirt-daemons", "univirt-kube-lite", "univirt-ansible"]:
            self.assertIn(name, debs)
            self.assertIn(name, rpms)
        for path in packages("univirt-*.deb") + packages("univirt-*.rpm"):
            print(f"size: {path.name}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    unittest.main()
