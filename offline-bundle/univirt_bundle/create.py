"""univirt-bundle create: a release directory -> one signed, self-describing tarball."""

import os
import shutil
import sys
import time

from . import deps, manifest, repos, signing
from . import release as release_mod
from .archive import SplitWriter, write_tar
from .errors import BundleError, UsageError
from .progress import Progress, throughput_line
from .util import sha256_file

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _copy_tree(src, dst):
    if not os.path.isdir(src):
        raise UsageError(f"directory '{src}' does not exist")
    shutil.copytree(src, dst, symlinks=False, ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", ".git", "*.retry"))


def _stage(rel, args, stage):
    """Fills the staging dir; returns the manifest's repositories and images blocks."""
    log = sys.stderr
    repositories = {"apt": {}, "yum": {}}
    debs = rel.debs()
    rpms = rel.rpms()
    if not debs:
        raise BundleError(f"release '{rel.root}' lists no .deb packages for debian12")
    dep_debs = []
    if args.with_deps:
        cache = args.deps_cache or os.path.join(args.out, ".univirt-bundle-deps")
        log.write(f"resolving the Debian dependencies of {len(debs)} package(s) "
                  f"(cache '{cache}')\n")
        extra = list(deps.DEFAULT_EXTRA) + list(args.extra_package or [])
        if args.prerequisites:
            extra += deps.node_prerequisites(args.ansible_dir)
        dep_debs = deps.download_closure(debs, cache, extra=extra)
        log.write(f"{len(dep_debs)} dependency package(s) added\n")
    apt_rel = "repos/apt/debian12"
    epoch = int(rel.meta.get("source_date_epoch") or 0) or None
    info = repos.build_apt(debs + dep_debs, os.path.join(stage, apt_rel), epoch=epoch)
    info["path"] = apt_rel
    repositories["apt"]["debian12"] = info
    if rpms:
        repos.build_yum(rpms, os.path.join(stage, "repos/yum/el"), epoch=epoch)
        repositories["yum"]["el"] = {"path": "repos/yum/el"}
    images = []
    for image in rel.images():
        src = rel.path(image["path"])
        if not os.path.isfile(os.path.join(src, "index.json")):
            raise BundleError(f"image '{image['name']}' at '{src}' is not an OCI layout")
        _copy_tree(src, os.path.join(stage, "images", image["name"]))
        images.append({"name": image["name"], "tag": image.get("tag", rel.version),
                       "path": f"images/{image['name']}"})
    _copy_tree(args.ansible_dir, os.path.join(stage, "ansible"))
    env_file, env_name = rel.environment_file()
    if os.path.isfile(env_file):
        os.makedirs(os.path.join(stage, "environments"))
        shutil.copy2(env_file, os.path.join(stage, "environments", f"{env_name or 'default'}.env"))
    os.makedirs(os.path.join(stage, "docs"))
    if not os.path.isdir(args.docs_dir):
        raise UsageError(f"docs directory '{args.docs_dir}' does not exist; pass --docs-dir")
    for name in sorted(os.listdir(args.docs_dir)):
        if name.endswith(".md"):
            shutil.copy2(os.path.join(args.docs_dir, name), os.path.join(stage, "docs", name))
    os.makedirs(os.path.join(stage, "release"))
    for name in release_mod.RELEASE_COPY:
        if os.path.isfile(rel.path(name)):
            shutil.copy2(rel.path(name), os.path.join(stage, "release", name))
    return repositories, images


def run(args):
    started = time.monotonic()
    if not args.ansible_dir:
        args.ansible_dir = os.path.join(SOURCE_ROOT, "ansible")
    if not args.docs_dir:
        args.docs_dir = os.path.join(SOURCE_ROOT, "docs")
    key = signing.secret_key_path(args.key)
    rel = release_mod.load(args.release, args.version)
    version = rel.version
    top = f"univirt-bundle-{version}"
    os.makedirs(args.out, exist_ok=True)
    stage_root = os.path.join(args.out, f".{top}.stage")
    shutil.rmtree(stage_root, ignore_errors=True)
    stage = os.path.join(stage_root, top)
    os.makedirs(stage)
    try:
        repositories, images = _stage(rel, args, stage)
        os.makedirs(os.path.join(stage, "keys"))
        # The bundle carries the public half of the key that signs it: the one next to the
        # secret key if present, else the release's own.
        pub = args.pubkey or signing.public_key_from_secret(key) or rel.path(
            "univirt-release.pub")
        shutil.copy2(pub, os.path.join(stage, "keys", "univirt-release.pub"))
        files = []
        for path in manifest.walk_files(stage):
            digest, size = sha256_file(os.path.join(stage, path))
            files.append({"path": path, "size": size, "sha256": digest})
        created = int(rel.meta.get("source_date_epoch") or 0)
        man = manifest.build(version, created, rel.meta["os"], files, repositories, images)
        man_path = os.path.join(stage, manifest.MANIFEST)
        manifest.dump(man, man_path)
        signing.sign(key, man_path, f"univirt-bundle {version}")
        signing.verify(pub, man_path, man_path + ".minisig")
        # The key first, then the manifest and its signature: verify checks the signature
        # before it reads a single other byte of a tar stream.
        ordered = [manifest.KEY, manifest.MANIFEST, manifest.SIGNATURE] + [
            f["path"] for f in files if f["path"] != manifest.KEY]
        total = sum(os.path.getsize(os.path.join(stage, p)) for p in ordered)
        outputs = _write(args, stage_root, top, ordered, created, total)
    finally:
        shutil.rmtree(stage_root, ignore_errors=True)
    elapsed = time.monotonic() - started
    for path in outputs:
        print(path)
    size = sum(os.path.getsize(p) for p in outputs)
    sys.stderr.write(f"bundle {version}: {len(files)} files, "
                     + throughput_line("created", size, elapsed) + "\n")
    return 0


def _write(args, stage_root, top, ordered, mtime, total):
    base = os.path.join(args.out, f"{top}.tar")
    for stale in [base] + [os.path.join(args.out, n) for n in os.listdir(args.out)
                           if n.startswith(f"{top}.tar.part-")]:
        if os.path.exists(stale):
            os.remove(stale)
    progress = Progress("create", total)
    if args.split_size:
        writer = SplitWriter(base, args.split_size)
        try:
            write_tar(stage_root, top, ordered, writer, mtime, progress)
        finally:
            writer.close()
        outputs = writer.paths
    else:
        tmp = base + ".partial"
        with open(tmp, "wb") as f:
            write_tar(stage_root, top, ordered, f, mtime, progress)
        os.replace(tmp, base)
        outputs = [base]
    progress.finish()
    return outputs
