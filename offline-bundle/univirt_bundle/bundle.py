"""Reading a bundle — a .tar, the first .tar.part-000 of a split one, or an extracted
directory — and checking it: signature first, then every file's size and sha256, and no file
the manifest does not list. The first bad file is named."""

import hashlib
import os
import shutil
import tarfile
import tempfile

from . import manifest, signing
from .archive import ChainReader, PART_RE, part_paths
from .errors import BundleError
from .progress import Progress
from .util import CHUNK, sha256_file

PUBKEY_ENV = "UNIVIRT_BUNDLE_PUBKEY"


def _resolve_key(cli_key):
    return cli_key or os.environ.get(PUBKEY_ENV) or None


def _check_signature(man_bytes, sig_bytes, pub_bytes, key_path, warn):
    with tempfile.TemporaryDirectory(prefix="univirt-bundle-sig-") as tmp:
        man_path = os.path.join(tmp, manifest.MANIFEST)
        with open(man_path, "wb") as f:
            f.write(man_bytes)
        with open(man_path + ".minisig", "wb") as f:
            f.write(sig_bytes)
        if key_path is None:
            if pub_bytes is None:
                raise BundleError(f"the bundle holds no '{manifest.KEY}' and no --key was "
                                  f"given")
            key_path = os.path.join(tmp, "bundle.pub")
            with open(key_path, "wb") as f:
                f.write(pub_bytes)
            if warn:
                warn("signature checked with the key inside the bundle (integrity only); "
                     "pass --key with the site's copy of univirt-release.pub for "
                     "authenticity")
        signing.verify(key_path, man_path, man_path + ".minisig")
    return manifest.parse(man_bytes, manifest.MANIFEST)


class Result:
    def __init__(self, man, root_name):
        self.manifest = man
        self.top = root_name
        self.checked = 0
        self.bytes = 0


def _expect(entries, rel, size, digest):
    entry = entries.get(rel)
    if entry is None:
        raise BundleError(f"bundle file '{rel}' is not listed in the manifest")
    if entry["size"] != size:
        raise BundleError(f"bundle file '{rel}' has size {size}, the manifest says "
                          f"{entry['size']}")
    if entry["sha256"] != digest:
        raise BundleError(f"bundle file '{rel}' does not match its sha256 in the manifest")


def _open_stream(path):
    if PART_RE.match(path):
        return ChainReader(part_paths(path))
    return open(path, "rb")


def verify_stream(path, key=None, extract_to=None, warn=None, quiet=False):
    """One pass over a tar (or chain of parts); optionally writes files below extract_to."""
    key_path = _resolve_key(key)
    stream = _open_stream(path)
    small = {}
    man = None
    entries = {}
    pending = []
    seen = set()
    top = None
    progress = None
    try:
        tar = tarfile.open(fileobj=stream, mode="r|")
        for member in tar:
            name = member.name.rstrip("/")
            if top is None:
                top = name.split("/")[0]
                if not top.startswith("univirt-bundle-"):
                    raise BundleError(f"'{path}' is not a univirt bundle (top directory "
                                      f"'{top}')")
            if name != top and not name.startswith(top + "/"):
                raise BundleError(f"bundle member '{name}' is outside '{top}/'")
            rel = name[len(top) + 1:]
            if ".." in rel.split("/") or rel.startswith("/"):
                raise BundleError(f"bundle member '{name}' has an unsafe path")
            if member.isdir():
                if extract_to and rel:
                    os.makedirs(os.path.join(extract_to, rel), exist_ok=True)
                continue
            if not member.isfile():
                raise BundleError(f"bundle member '{name}' is not a regular file")
            src = tar.extractfile(member)
            digest = hashlib.sha256()
            size = 0
            out = None
            keep = rel in (manifest.MANIFEST, manifest.SIGNATURE, manifest.KEY)
            buf = bytearray() if keep else None
            if extract_to:
                dest = os.path.join(extract_to, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                out = open(dest, "wb")
            try:
                while True:
                    chunk = src.read(CHUNK)
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    if buf is not None:
                        buf += chunk
                    if out:
                        out.write(chunk)
                    if progress:
                        progress.advance(len(chunk))
            finally:
                if out:
                    out.close()
                    os.chmod(dest, 0o755 if member.mode & 0o111 else 0o644)
            if keep:
                small[rel] = bytes(buf)
            if rel in (manifest.MANIFEST, manifest.SIGNATURE):
                pass
            elif man is None:
                pending.append((rel, size, digest.hexdigest()))
            else:
                _expect(entries, rel, size, digest.hexdigest())
            seen.add(rel)
            if man is None and manifest.MANIFEST in small and manifest.SIGNATURE in small \
                    and (key_path or manifest.KEY in small):
                man = _check_signature(small[manifest.MANIFEST], small[manifest.SIGNATURE],
                                       small.get(manifest.KEY), key_path, warn)
                entries = manifest.index(man)
                if not quiet:
                    progress = Progress("verify", sum(e["size"] for e in man["files"]))
                for item in pending:
                    _expect(entries, *item)
            elif man is None and len(pending) > 1:
                raise BundleError(f"'{path}' does not start with its manifest and signature")
    except tarfile.TarError as e:
        raise BundleError(f"'{path}' is not a readable tar archive ({e}); a part may be "
                          f"missing or truncated") from None
    finally:
        stream.close()
    if man is None:
        raise BundleError(f"'{path}' holds no signed manifest.json")
    for rel in entries:
        if rel not in seen:
            raise BundleError(f"bundle file '{rel}' listed in the manifest is missing")
    if progress:
        progress.finish()
    result = Result(man, top)
    result.checked = len(entries)
    result.bytes = sum(e["size"] for e in entries.values())
    return result


def _dir_root(path):
    if os.path.isfile(os.path.join(path, manifest.MANIFEST)):
        return path
    tops = [d for d in sorted(os.listdir(path)) if d.startswith("univirt-bundle-")
            and os.path.isfile(os.path.join(path, d, manifest.MANIFEST))]
    if len(tops) != 1:
        raise BundleError(f"'{path}' is not an extracted bundle (no manifest.json)")
    return os.path.join(path, tops[0])


def verify_dir(path, key=None, warn=None, quiet=False):
    root = _dir_root(path)

    def read(rel):
        full = os.path.join(root, rel)
        if not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    man_bytes, sig = read(manifest.MANIFEST), read(manifest.SIGNATURE)
    if sig is None:
        raise BundleError(f"bundle file '{manifest.SIGNATURE}' is missing")
    man = _check_signature(man_bytes, sig, read(manifest.KEY), _resolve_key(key), warn)
    entries = manifest.index(man)
    progress = None if quiet else Progress("verify", sum(e["size"] for e in man["files"]))
    for rel in manifest.walk_files(root):
        if rel in manifest.UNLISTED:
            continue
        if rel not in entries:
            raise BundleError(f"bundle file '{rel}' is not listed in the manifest")
    for rel, entry in entries.items():
        full = os.path.join(root, rel)
        if not os.path.isfile(full):
            raise BundleError(f"bundle file '{rel}' listed in the manifest is missing")
        digest, size = sha256_file(full, progress)
        _expect(entries, rel, size, digest)
    if progress:
        progress.finish()
    result = Result(man, os.path.basename(root))
    result.root = root
    result.checked = len(entries)
    result.bytes = sum(e["size"] for e in entries.values())
    return result


def verify(path, key=None, warn=None, quiet=False):
    if not os.path.exists(path):
        raise BundleError(f"bundle '{path}' does not exist")
    if os.path.isdir(path):
        return verify_dir(path, key, warn, quiet)
    return verify_stream(path, key, warn=warn, quiet=quiet)


def extract(path, to, key=None, warn=None):
    """Verifies while extracting into a hidden dir, renamed into place only when all passed."""
    os.makedirs(to, exist_ok=True)
    if os.path.isdir(path):
        result = verify_dir(path, key, warn)
        dest = os.path.join(to, result.top)
        if os.path.abspath(result.root) != os.path.abspath(dest):
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(result.root, dest)
        return dest, result
    partial = tempfile.mkdtemp(prefix=".univirt-bundle-extract-", dir=to)
    try:
        result = verify_stream(path, key, extract_to=partial, warn=warn)
        dest = os.path.join(to, result.top)
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.replace(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return dest, result


def open_dir(path, key=None, warn=None):
    """A verified directory view of any bundle form, plus a cleanup callback."""
    if os.path.isdir(path):
        return verify_dir(path, key, warn), (lambda: None)
    tmp = tempfile.mkdtemp(prefix="univirt-bundle-")
    try:
        dest, result = extract(path, tmp, key, warn)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.root = dest
    return result, (lambda: shutil.rmtree(tmp, ignore_errors=True))
