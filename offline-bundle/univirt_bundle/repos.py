"""The bundle's package repositories: apt with reprepro, yum with createrepo_c."""

import os
import shutil
import time

from .util import require_tool, run

APT_SUITE = {"debian12": "bookworm", "ubuntu22": "jammy"}
APT_ARCH = "amd64"


def build_apt(debs, dest, os_name="debian12", epoch=None):
    """Writes an unsigned reprepro repository (dists/, pool/) holding every .deb in debs.

    The bundle's manifest signature covers every index and package, so apt clients use the
    repository with [trusted=yes] after univirt-bundle verify has passed.
    """
    reprepro = require_tool("reprepro", "reprepro")
    suite = APT_SUITE[os_name]
    conf = os.path.join(dest, "conf")
    os.makedirs(conf, exist_ok=True)
    with open(os.path.join(conf, "distributions"), "w", encoding="utf-8") as f:
        f.write(f"Origin: univirt\nLabel: univirt\nCodename: {suite}\n"
                f"Architectures: {APT_ARCH}\nComponents: main\n"
                f"Description: univirt offline packages\n")
    with open(os.path.join(conf, "options"), "w", encoding="utf-8") as f:
        f.write("ignore undefinedtarget\n")
    # One call for all files, exporting the indexes once (a call per file costs ~0.15 s each).
    run([reprepro, "--silent", "-b", dest, "--export=never", "includedeb", suite]
        + sorted(debs), what="reprepro includedeb")
    run([reprepro, "--silent", "-b", dest, "export", suite], what="reprepro export")
    for state in ("conf", "db"):
        shutil.rmtree(os.path.join(dest, state), ignore_errors=True)
    if epoch is not None:
        _pin_release_date(os.path.join(dest, "dists", suite, "Release"), epoch)
    return {"path": None, "suite": suite, "components": ["main"]}


def _pin_release_date(path, epoch):
    """Release's Date: the release's source date epoch instead of now, so two creates of one
    release give the same bytes (the file is unsigned; nothing else covers the line)."""
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime(epoch))
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines = [f"Date: {stamp}" if ln.startswith("Date: ") else ln for ln in lines]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def build_yum(rpms, dest, epoch=None):
    createrepo = require_tool("createrepo_c", "createrepo-c")
    os.makedirs(dest, exist_ok=True)
    for rpm in rpms:
        target = os.path.join(dest, os.path.basename(rpm))
        shutil.copy2(rpm, target)
        if epoch is not None:
            os.utime(target, (epoch, epoch))  # primary.xml records the file time
    argv = [createrepo, "--quiet", "--no-database", "--simple-md-filenames"]
    if epoch is not None:
        argv += ["--revision", str(epoch), "--set-timestamp-to-revision"]
    run(argv + [dest], what="createrepo_c")
