"""Reads and checks a release directory written by release/cut-release."""

import json
import os

from . import signing
from .errors import BundleError, UsageError
from .util import sha256_file

REQUIRED = ("VERSION", "release.json", "SHA256SUMS", "SHA256SUMS.minisig",
            "univirt-release.pub")
RELEASE_COPY = ("release.json", "SHA256SUMS", "SHA256SUMS.minisig", "CHANGELOG.md",
                "sbom.spdx.json")


class Release:
    def __init__(self, root, meta):
        self.root = root
        self.meta = meta
        self.version = meta["version"]

    def path(self, rel):
        return os.path.join(self.root, rel)

    def debs(self, os_name="debian12"):
        return [self.path(p) for p in self._pkg_list(os_name, "deb")]

    def rpms(self, os_name="debian12"):
        return [self.path(p) for p in self._pkg_list(os_name, "rpm")]

    def _pkg_list(self, os_name, kind):
        names = self.meta.get("packages", {}).get(os_name, {}).get(kind, [])
        out = []
        for name in names:
            rel = name if "/" in name else f"{os_name}/{kind}/{name}"
            out.append(rel)
        return out

    def environment_file(self):
        env = self.meta.get("environment", "")
        return self.path("environment.env"), env

    def images(self):
        return self.meta.get("images", [])


def locate(path, version=None):
    """Accepts the release dir itself or its parent holding univirt-<VERSION>/."""
    if os.path.isfile(os.path.join(path, "release.json")):
        return path
    if version and os.path.isfile(os.path.join(path, f"univirt-{version}", "release.json")):
        return os.path.join(path, f"univirt-{version}")
    candidates = sorted(d for d in (os.listdir(path) if os.path.isdir(path) else [])
                        if d.startswith("univirt-")
                        and os.path.isfile(os.path.join(path, d, "release.json")))
    if len(candidates) == 1:
        return os.path.join(path, candidates[0])
    if not candidates:
        raise UsageError(f"'{path}' holds no release (no release.json in it or in a "
                         f"univirt-<VERSION>/ below it); run release/cut-release first")
    raise UsageError(f"'{path}' holds several releases ({', '.join(candidates)}); "
                     f"pass --version")


def load(path, version=None, check=True):
    root = locate(path, version)
    for name in REQUIRED:
        if not os.path.exists(os.path.join(root, name)):
            raise BundleError(f"release '{root}' lacks '{name}'")
    with open(os.path.join(root, "release.json"), encoding="utf-8") as f:
        meta = json.load(f)
    for key in ("version", "os", "packages", "images"):
        if key not in meta:
            raise BundleError(f"release.json in '{root}' lacks the key '{key}'")
    if version and meta["version"] != version:
        raise UsageError(f"--version '{version}' differs from the release's version "
                         f"'{meta['version']}'")
    with open(os.path.join(root, "VERSION"), encoding="utf-8") as f:
        if f.read().strip() != meta["version"]:
            raise BundleError(f"VERSION and release.json disagree in '{root}'")
    release = Release(root, meta)
    if check:
        check_sums(release)
    return release


def check_sums(release):
    """Release signature first, then every file SHA256SUMS lists."""
    sums = release.path("SHA256SUMS")
    signing.verify(release.path("univirt-release.pub"), sums, sums + ".minisig")
    with open(sums, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            digest, _, name = line.partition("  ")
            name = name.lstrip("*")
            full = release.path(name)
            if not os.path.isfile(full):
                raise BundleError(f"release file '{name}' listed in SHA256SUMS is missing")
            actual, _ = sha256_file(full)
            if actual != digest:
                raise BundleError(f"release file '{name}' does not match SHA256SUMS")
