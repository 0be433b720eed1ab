"""manifest.json: what the bundle holds, with the size and sha256 of every file."""

import json
import os

from . import FORMAT, NAME
from .errors import BundleError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
KEY = "keys/univirt-release.pub"
UNLISTED = (MANIFEST, SIGNATURE)


def build(version, created, os_list, files, repositories, images):
    return {
        "format": FORMAT,
        "name": NAME,
        "version": version,
        "created": created,
        "os": os_list,
        "files": files,
        "repositories": repositories,
        "images": images,
    }


def dump(manifest, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


def parse(data, origin):
    try:
        manifest = json.loads(data)
    except ValueError as e:
        raise BundleError(f"'{origin}' is not valid JSON: {e}") from None
    if manifest.get("format") != FORMAT or manifest.get("name") != NAME:
        raise BundleError(f"'{origin}' is not a univirt bundle manifest of format {FORMAT}")
    for entry in manifest.get("files", []):
        path = entry.get("path", "")
        if path.startswith("/") or ".." in path.split("/") or path in UNLISTED:
            raise BundleError(f"'{origin}' lists the unsafe or reserved path '{path}'")
    return manifest


def index(manifest):
    return {e["path"]: e for e in manifest["files"]}


def walk_files(root):
    """Relative paths of every regular file below root, sorted; refuses symlinks."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                raise BundleError(f"'{full}' is a symbolic link; bundles hold regular files "
                                  f"only")
            out.append(os.path.relpath(full, root).replace(os.sep, "/"))
    return sorted(out)
