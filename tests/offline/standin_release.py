#!/usr/bin/python3
"""A release directory shaped like release/cut-release's output (the bundle tool's INPUT
contract), made from a build tree's packages and OCI image, signed with a throwaway minisign
key. Used by the tests when no cut release exists (UNIVIRT_RELEASE_DIR has none).

Usage: standin_release.py --packages DIR --out DIR [--oci DIR] [--version V]
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _run(argv, **kw):
    subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def make_key(directory):
    """An unencrypted throwaway minisign key pair: (secret, public)."""
    os.makedirs(directory, exist_ok=True)
    sec = os.path.join(directory, "univirt-release.key")
    pub = os.path.join(directory, "univirt-release.pub")
    if not os.path.exists(sec):
        _run(["minisign", "-G", "-W", "-f", "-p", pub, "-s", sec])
    return sec, pub


def tiny_oci(dest, tag):
    """A two-layer OCI image made with umoci when the build tree has no image."""
    work = dest + ".work"
    shutil.rmtree(work, ignore_errors=True)
    _run(["umoci", "init", "--layout", dest])
    _run(["umoci", "new", "--image", f"{dest}:{tag}"])
    for layer in range(2):
        bundle = os.path.join(work, f"b{layer}")
        _run(["umoci", "unpack", "--rootless", "--image", f"{dest}:{tag}", bundle])
        with open(os.path.join(bundle, "rootfs", f"layer{layer}.bin"), "wb") as f:
            f.write(hashlib.sha256(f"{tag}{layer}".encode()).digest() * 40000)
        _run(["umoci", "repack", "--image", f"{dest}:{tag}", bundle])
    shutil.rmtree(work, ignore_errors=True)


def make(packages, out, oci=None, version="v0.1.0", env="lab", key_dir=None):
    root = os.path.join(out, f"univirt-{version}")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "debian12", "deb"))
    os.makedirs(os.path.join(root, "debian12", "rpm"))
    debs = sorted(glob.glob(os.path.join(packages, "univirt-*.deb")))
    rpms = sorted(glob.glob(os.path.join(packages, "univirt-*.rpm")))
    if not debs:
        raise SystemExit(f"no univirt-*.deb in '{packages}'")
    for src in debs:
        shutil.copy2(src, os.path.join(root, "debian12", "deb"))
    for src in rpms:
        shutil.copy2(src, os.path.join(root, "debian12", "rpm"))
    image_dir = os.path.join(root, "images", "univirt")
    if oci and os.path.isfile(os.path.join(oci, "index.json")):
        shutil.copytree(oci, image_dir)
        with open(os.path.join(image_dir, "index.json"), encoding="utf-8") as f:
            index = json.load(f)
        # The build tree's image carries the package version as tag: retag it as the release.
        for m in index["manifests"]:
            m.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = version
        with open(os.path.join(image_dir, "index.json"), "w", encoding="utf-8") as f:
            json.dump(index, f)
    else:
        os.makedirs(os.path.dirname(image_dir), exist_ok=True)
        tiny_oci(image_dir, version)
    epoch = 1764201600
    meta = {"version": version, "package_version": version.lstrip("v"), "environment": env,
            "commit": "0" * 40, "source_date_epoch": epoch, "os": ["debian12"],
            "packages": {"debian12": {"deb": [os.path.basename(d) for d in debs],
                                      "rpm": [os.path.basename(r) for r in rpms]}},
            "images": [{"name": "univirt", "tag": version, "path": "images/univirt"}]}
    with open(os.path.join(root, "release.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(root, "VERSION"), "w", encoding="utf-8") as f:
        f.write(version + "\n")
    with open(os.path.join(root, "CHANGELOG.md"), "w", encoding="utf-8") as f:
        f.write(f"# {version}\n\n- stand-in release for the bundle tests\n")
    with open(os.path.join(root, "environment.env"), "w", encoding="utf-8") as f:
        f.write(f"UNIVIRT_ENVIRONMENT={env}\nUNIVIRT_IMAGE_PULL_POLICY=IfNotPresent\n")
    with open(os.path.join(root, "sbom.spdx.json"), "w", encoding="utf-8") as f:
        json.dump({"spdxVersion": "SPDX-2.3", "name": f"univirt-{version}", "packages": []}, f)
    sec, pub = make_key(key_dir or os.path.join(out, "keys"))
    shutil.copy2(pub, os.path.join(root, "univirt-release.pub"))
    lines = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if rel in ("SHA256SUMS", "SHA256SUMS.minisig", "univirt-release.pub"):
                continue
            lines.append(f"{_sha256(os.path.join(root, rel))}  {rel}")
    with open(os.path.join(root, "SHA256SUMS"), "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(lines, key=lambda s: s[66:])) + "\n")
    _run(["minisign", "-S", "-s", sec, "-m", os.path.join(root, "SHA256SUMS")],
         input=b"\n")
    return root, sec, pub


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--packages", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--oci")
    p.add_argument("--version", default="v0.1.0")
    a = p.parse_args()
    root, sec, _ = make(a.packages, a.out, a.oci, a.version)
    print(root)
    print(sec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
