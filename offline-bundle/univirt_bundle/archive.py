"""Writing and reading the bundle tarball: deterministic, optionally split into parts.

Members are written in a fixed order — manifest.json, its signature, then every other file
sorted by path — so verify can check the signature before it hashes anything, in one pass
over a tar stream (and over a chain of parts without joining them first).
"""

import os
import re
import tarfile

from .errors import BundleError

PART_RE = re.compile(r"^(?P<base>.+\.tar)\.part-(?P<index>\d{3})$")


class SplitWriter:
    """A write-only file that starts BASE.part-NNN every `part_size` bytes."""

    def __init__(self, base, part_size):
        self.base = base
        self.part_size = part_size
        self.index = -1
        self.current = None
        self.used = 0
        self.paths = []
        self._next()

    def _next(self):
        if self.current:
            self.current.close()
        self.index += 1
        path = f"{self.base}.part-{self.index:03d}"
        self.paths.append(path)
        self.current = open(path, "wb")
        self.used = 0

    def write(self, data):
        view = memoryview(data)
        while view:
            if self.used == self.part_size:
                self._next()
            take = min(len(view), self.part_size - self.used)
            self.current.write(view[:take])
            self.used += take
            view = view[take:]
        return len(data)

    def close(self):
        if self.current:
            self.current.close()
            self.current = None


class ChainReader:
    """Reads a list of files as one stream (the parts of a split bundle)."""

    def __init__(self, paths):
        self.paths = list(paths)
        self.current = None

    def read(self, n=-1):
        out = bytearray()
        while n < 0 or len(out) < n:
            if self.current is None:
                if not self.paths:
                    break
                self.current = open(self.paths.pop(0), "rb")
            chunk = self.current.read(-1 if n < 0 else n - len(out))
            if not chunk:
                self.current.close()
                self.current = None
                continue
            out += chunk
        return bytes(out)

    def close(self):
        if self.current:
            self.current.close()


def part_paths(first):
    """All parts of a split bundle given its first part (they must be consecutive)."""
    m = PART_RE.match(first)
    if not m or m.group("index") != "000":
        raise BundleError(f"'{first}' is not the first part of a split bundle (*.tar.part-000)")
    paths = []
    index = 0
    while os.path.exists(f"{m.group('base')}.part-{index:03d}"):
        paths.append(f"{m.group('base')}.part-{index:03d}")
        index += 1
    return paths


def _tarinfo(name, size, mtime, is_dir=False, mode=None):
    info = tarfile.TarInfo(name)
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if is_dir:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = size
        info.mode = mode if mode is not None else 0o644
    return info


def write_tar(stage_root, top, ordered_files, fileobj, mtime, progress=None):
    """Writes top/ and ordered_files (paths relative to stage_root/top) into fileobj."""
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tarinfo(top, 0, mtime, is_dir=True))
        seen_dirs = set()
        for rel in ordered_files:
            parts = rel.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in seen_dirs:
                    seen_dirs.add(d)
                    tar.addfile(_tarinfo(f"{top}/{d}", 0, mtime, is_dir=True))
            full = os.path.join(stage_root, top, rel)
            st = os.stat(full)
            mode = 0o755 if st.st_mode & 0o111 else 0o644
            with open(full, "rb") as f:
                reader = _CountingReader(f, progress)
                tar.addfile(_tarinfo(f"{top}/{rel}", st.st_size, mtime, mode=mode), reader)


class _CountingReader:
    def __init__(self, f, progress):
        self.f = f
        self.progress = progress

    def read(self, n=-1):
        data = self.f.read(n)
        if self.progress is not None:
            self.progress.advance(len(data))
        return data


def join_parts(first, out_path):
    paths = part_paths(first)
    reader = ChainReader(paths)
    with open(out_path, "wb") as out:
        while True:
            chunk = reader.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
    reader.close()
    return paths
