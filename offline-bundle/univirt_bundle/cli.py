"""Command line: one subcommand per verb, each with its own --help."""

import argparse
import json
import os
import sys

from . import bundle
from .archive import join_parts
from .errors import BundleError
from .util import human_bytes, parse_size


def _warn(message):
    sys.stderr.write(f"univirt-bundle: warning: {message}\n")


def _cmd_create(args):
    from . import create
    return create.run(args)


def _cmd_verify(args):
    result = bundle.verify(args.bundle, args.key, warn=_warn, quiet=args.quiet)
    print(f"OK {result.top}: signature valid, {result.checked} files "
          f"({human_bytes(result.bytes)}) match the manifest")
    return 0


def _cmd_inspect(args):
    result = bundle.verify(args.bundle, args.key, warn=_warn, quiet=True) if args.verify \
        else None
    man = result.manifest if result else _read_manifest(args.bundle)
    if args.json:
        json.dump(man, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    print(f"bundle   {man['name']} {man['version']} (format {man['format']})")
    print(f"created  {man['created']} (source date epoch)")
    print(f"os       {', '.join(man['os'])}")
    for kind, repos in sorted(man["repositories"].items()):
        for name, repo in sorted(repos.items()):
            extra = f" suite {repo['suite']}" if "suite" in repo else ""
            count = sum(1 for f in man["files"] if f["path"].startswith(repo["path"] + "/")
                        and f["path"].endswith((".deb", ".rpm")))
            print(f"repo     {kind}/{name}: {repo['path']}{extra}, {count} packages")
    for image in man["images"]:
        print(f"image    {image['name']}:{image['tag']} at {image['path']}")
    groups = {}
    for f in man["files"]:
        top = f["path"].split("/")[0]
        count, size = groups.get(top, (0, 0))
        groups[top] = (count + 1, size + f["size"])
    for top, (count, size) in sorted(groups.items()):
        print(f"content  {top + '/':<14} {count:5d} files {human_bytes(size):>12}")
    total = sum(f["size"] for f in man["files"])
    print(f"total    {len(man['files'])} files, {human_bytes(total)}")
    if args.files:
        for f in man["files"]:
            print(f"{f['sha256']}  {f['size']:>12}  {f['path']}")
    return 0


def _read_manifest(path):
    """The manifest without checking anything (inspect --no-verify)."""
    import tarfile
    from . import manifest
    from .archive import ChainReader, PART_RE, part_paths
    if os.path.isdir(path):
        root = bundle._dir_root(path)
        with open(os.path.join(root, manifest.MANIFEST), "rb") as f:
            return manifest.parse(f.read(), manifest.MANIFEST)
    stream = ChainReader(part_paths(path)) if PART_RE.match(path) else open(path, "rb")
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.name.endswith("/" + manifest.MANIFEST) and member.name.count("/") == 1:
                    return manifest.parse(tar.extractfile(member).read(), member.name)
    finally:
        stream.close()
    raise BundleError(f"'{path}' holds no manifest.json")


def _cmd_extract(args):
    dest, result = bundle.extract(args.bundle, args.to, args.key, warn=_warn)
    print(dest)
    sys.stderr.write(f"extracted and verified {result.checked} files\n")
    return 0


def _cmd_split(args):
    from .archive import SplitWriter
    size = parse_size(args.size)
    if not args.bundle.endswith(".tar") or not os.path.isfile(args.bundle):
        raise BundleError(f"'{args.bundle}' is not a bundle .tar file", exit_code=2)
    writer = SplitWriter(args.bundle, size)
    with open(args.bundle, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            writer.write(chunk)
    writer.close()
    for p in writer.paths:
        print(p)
    return 0


def _cmd_join(args):
    m = bundle.PART_RE.match(args.first_part)
    if not m:
        raise BundleError(f"'{args.first_part}' is not a *.tar.part-000 file", exit_code=2)
    out = args.out or m.group("base")
    parts = join_parts(args.first_part, out)
    sys.stderr.write(f"joined {len(parts)} parts\n")
    print(out)
    return 0


def _cmd_push(args):
    from . import push
    return push.run(args)


def build_parser():
    p = argparse.ArgumentParser(
        prog="univirt-bundle",
        description="Build, check and publish the univirt offline bundle. Exit codes: 0 ok, "
                    "1 failure (bad bundle, failed push), 2 usage or configuration error.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("create", help="make a signed bundle from a release directory",
                       description="Make univirt-bundle-<VERSION>.tar (or .tar.part-NNN) from "
                                   "the output of release/cut-release.")
    c.add_argument("--release", required=True, help="release dir (univirt-<VERSION>/ or its "
                   "parent)")
    c.add_argument("--out", required=True, help="output directory")
    c.add_argument("--version", help="expected version (must match release.json)")
    c.add_argument("--key", help="minisign secret key file (default $UNIVIRT_SIGNING_KEY_FILE);"
                   " an encrypted key's password is read from $UNIVIRT_SIGNING_KEY_PASSWORD")
    c.add_argument("--pubkey", help="public key of --key to ship in keys/ (default: KEY.pub "
                   "or univirt-release.pub next to the key, else the release's)")
    c.add_argument("--split-size", type=parse_size, help="split into parts of this size "
                   "(e.g. 1G, 700M)")
    deps = c.add_mutually_exclusive_group()
    deps.add_argument("--with-deps", dest="with_deps", action="store_true", default=True,
                      help="add the Debian dependencies a minimal Debian 12 lacks (default)")
    deps.add_argument("--no-deps", dest="with_deps", action="store_false",
                      help="only the univirt packages")
    c.add_argument("--extra-package", action="append", metavar="PKG",
                   help="also carry this Debian package and its dependencies (repeatable; "
                        "python3 and python3-apt, which Ansible needs, are always carried)")
    c.add_argument("--no-prerequisites", dest="prerequisites", action="store_false",
                   default=True, help="leave out the node prerequisites the playbooks install "
                   "(univirt_packages_debian of the Ansible tree's group_vars: QEMU, libvirt, "
                   "OVS, the Ceph client; and chrony); default: carry them")
    c.add_argument("--deps-cache", help="directory to keep downloaded dependency .debs in "
                   "(default OUT/.univirt-bundle-deps)")
    c.add_argument("--ansible-dir", help="Ansible tree to ship (default: the source tree's)")
    c.add_argument("--docs-dir", help="docs to ship (default: the source tree's docs/)")
    c.set_defaults(func=_cmd_create)

    for name, helptext in (("verify", "check signature, sizes and sha256 of every file"),
                           ("inspect", "show what a bundle holds")):
        v = sub.add_parser(name, help=helptext, description=helptext + "; BUNDLE is a .tar, "
                           "the first .tar.part-000, or an extracted directory.")
        v.add_argument("bundle", metavar="BUNDLE")
        v.add_argument("--key", help="minisign public key to trust (default "
                       "$UNIVIRT_BUNDLE_PUBKEY, else the bundle's own key: integrity only)")
        if name == "verify":
            v.add_argument("--quiet", action="store_true", help="no progress output")
            v.set_defaults(func=_cmd_verify)
        else:
            v.add_argument("--json", action="store_true", help="print manifest.json")
            v.add_argument("--files", action="store_true", help="list every file")
            v.add_argument("--no-verify", dest="verify", action="store_false",
                           help="read the manifest without checking the bundle")
            v.set_defaults(func=_cmd_inspect)

    e = sub.add_parser("extract", help="verify and unpack a bundle",
                       description="Verify BUNDLE and unpack it to DIR/univirt-bundle-<V>/; "
                                   "nothing is left behind when verification fails.")
    e.add_argument("bundle", metavar="BUNDLE")
    e.add_argument("--to", required=True, metavar="DIR")
    e.add_argument("--key", help="minisign public key to trust")
    e.set_defaults(func=_cmd_extract)

    s = sub.add_parser("split", help="split a bundle .tar into parts",
                       description="Write BUNDLE.part-000, -001, ... of at most SIZE bytes.")
    s.add_argument("bundle", metavar="BUNDLE")
    s.add_argument("--size", required=True, help="part size, e.g. 1G, 700M")
    s.set_defaults(func=_cmd_split)

    j = sub.add_parser("join", help="join the parts of a split bundle",
                       description="Concatenate FIRST_PART (*.tar.part-000) and the parts "
                                   "after it into one .tar.")
    j.add_argument("first_part", metavar="FIRST_PART")
    j.add_argument("--out", help="output file (default: the name without .part-000)")
    j.set_defaults(func=_cmd_join)

    from .push import add_arguments
    pp = sub.add_parser(
        "push", help="publish the bundle to Nexus or an OCI registry",
        description="Verify BUNDLE, then push its packages and images to a Nexus "
                    "(nexus://HOST:PORT) or only its images to a registry "
                    "(registry://HOST:PORT). Resumable: what is already there is skipped. "
                    "Credentials: --credentials-file F (lines user=..., password=...) or "
                    "$UNIVIRT_NEXUS_USER/$UNIVIRT_NEXUS_PASSWORD; never on the command line.")
    add_arguments(pp)
    pp.set_defaults(func=_cmd_push)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BundleError as e:
        sys.stderr.write(f"univirt-bundle: error: {e}\n")
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("univirt-bundle: interrupted\n")
        return 130
