"""Small helpers shared by the subcommands: hashing, running tools with argv vectors."""

import hashlib
import os
import shutil
import subprocess

from .errors import BundleError

CHUNK = 1 << 20


def sha256_file(path, progress=None):
    """Returns (hex digest, size) of a file, feeding progress with each chunk's size."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress.advance(len(chunk))
    return digest.hexdigest(), size


def require_tool(name, package):
    """Fails with the Debian package to install when a tool is missing."""
    path = shutil.which(name)
    if path is None:
        raise BundleError(f"the tool '{name}' is not installed; install the Debian package "
                          f"'{package}'")
    return path


def run(argv, cwd=None, env=None, input_bytes=None, what=None):
    """Runs argv (never a shell); raises BundleError with the tool's stderr on failure."""
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, input=input_bytes,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except OSError as e:
        raise BundleError(f"could not run '{argv[0]}': {e}") from e
    if proc.returncode != 0:
        label = what or os.path.basename(argv[0])
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise BundleError(f"{label} failed with exit code {proc.returncode}: {err}")
    return proc.stdout.decode("utf-8", "replace")


def human_bytes(n):
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{n} B"


def parse_size(text):
    """'1G', '500M', '4096' -> bytes (binary multiples)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    s = text.strip().upper().removesuffix("B").removesuffix("I")
    mult = 1
    if s and s[-1] in units:
        mult = units[s[-1]]
        s = s[:-1]
    try:
        value = int(s) * mult
    except ValueError:
        raise BundleError(f"size '{text}' is not a number with an optional K/M/G/T suffix",
                          exit_code=2) from None
    if value <= 0:
        raise BundleError(f"size '{text}' must be positive", exit_code=2)
    return value
