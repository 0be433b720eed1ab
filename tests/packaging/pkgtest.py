"""Helpers shared by the packaging tests: paths from the environment ctest sets, commands that
fail with their output, timings, the package files of a build tree."""
import contextlib
import glob
import os
import pathlib
import subprocess
import sys
import time

SOURCE_DIR = pathlib.Path(os.environ.get("UNIVIRT_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[2]))
BINARY_DIR = pathlib.Path(os.environ.get("UNIVIRT_BINARY_DIR", SOURCE_DIR / "build" / "dev"))
PACKAGE_DIR = BINARY_DIR / "packages"


def run(argv, check=True, **kwargs):
    """Runs argv (never a shell); on failure raises with the command and its output."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    proc = subprocess.run([str(a) for a in argv], check=False, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"command {' '.join(map(str, argv))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


@contextlib.contextmanager
def timed(what):
    start = time.monotonic()
    yield
    print(f"timing: {what}: {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)


def packages(pattern):
    """The package files of this build tree matching pattern, e.g. 'univirt-*.deb'."""
    found = sorted(glob.glob(str(PACKAGE_DIR / pattern)))
    if not found:
        raise AssertionError(f"no {pattern} in {PACKAGE_DIR}: run the packaging_build test "
                             f"or 'cmake --build {BINARY_DIR} --target packages' first")
    return [pathlib.Path(p) for p in found]


def deb(name):
    """The one .deb of package name."""
    (path,) = packages(f"{name}_*.deb")
    return path


def wait_for(predicate, timeout, what):
    """Polls predicate until it returns a true value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
