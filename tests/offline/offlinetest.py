"""Shared helpers of the offline-bundle tests: paths from the environment ctest sets, the
release under test (a cut release, or a stand-in made from the build tree), commands run with
argv vectors, free ports, waiting on conditions with deadlines."""

import glob
import os
import pathlib
import socket
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = pathlib.Path(os.environ.get("UNIVIRT_SOURCE_DIR", HERE.parents[1]))
BINARY_DIR = pathlib.Path(os.environ.get("UNIVIRT_BINARY_DIR", SOURCE_DIR / "build" / "dev"))
RELEASE_DIR = pathlib.Path(os.environ.get("UNIVIRT_RELEASE_DIR", BINARY_DIR / "release-test"))
BUNDLE_DIR = pathlib.Path(os.environ.get("UNIVIRT_BUNDLE_DIR", BINARY_DIR / "bundle-test"))
TOOL = SOURCE_DIR / "offline-bundle" / "univirt-bundle"
sys.path.insert(0, str(HERE))


def run(argv, check=True, env=None, **kwargs):
    """Runs argv (never a shell); on failure raises with the command and its output."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    proc = subprocess.run([str(a) for a in argv], check=False, env=env, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"command {' '.join(map(str, argv))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def bundle_tool(*args, check=True, env=None):
    return run([TOOL, *args], check=check, env=env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def release_root(fresh=False):
    """The cut release (release/cut-release's fixture) or a stand-in built from this tree
    (rebuilt when fresh, else reused from an earlier call)."""
    found = sorted(glob.glob(str(RELEASE_DIR / "univirt-*" / "release.json")))
    if found:
        return pathlib.Path(found[-1]).parent
    import standin_release
    made = sorted(glob.glob(str(BINARY_DIR / "release-standin" / "univirt-*" / "release.json")))
    if made and not fresh:
        return pathlib.Path(made[-1]).parent
    packages = pathlib.Path(os.environ.get("UNIVIRT_STANDIN_PACKAGES", BINARY_DIR / "packages"))
    oci = pathlib.Path(os.environ.get("UNIVIRT_STANDIN_OCI", BINARY_DIR / "image" / "oci"))
    if not glob.glob(str(packages / "univirt-*.deb")):
        raise AssertionError(f"no release in '{RELEASE_DIR}' and no packages in '{packages}' "
                             f"to build a stand-in from: run the release fixture or "
                             f"'cmake --build {BINARY_DIR} --target packages'")
    out = BINARY_DIR / "release-standin"
    root, _, _ = standin_release.make(str(packages), str(out), str(oci))
    return pathlib.Path(root)


def signing_key(release):
    """(secret, public) minisign key for the bundle: $UNIVIRT_SIGNING_KEY_FILE, the key next to
    the release, or a throwaway pair made here."""
    import standin_release
    secret = os.environ.get("UNIVIRT_SIGNING_KEY_FILE")
    if secret:
        pub = secret.removesuffix(".key") + ".pub"
        return secret, pub if os.path.exists(pub) else str(release / "univirt-release.pub")
    # release/cut-release's test leaves its throwaway pair in release-test/key/.
    for candidate in (release.parent / "key" / "univirt-release.key",
                      release.parent / "keys" / "univirt-release.key",
                      release.parent / "univirt-release.key"):
        if candidate.exists():
            return str(candidate), str(candidate.with_suffix(".pub"))
    return standin_release.make_key(str(BUNDLE_DIR / "keys"))


def bundle_tar():
    found = sorted(glob.glob(str(BUNDLE_DIR / "univirt-bundle-*.tar")))
    if not found:
        raise AssertionError(f"no bundle in '{BUNDLE_DIR}': the offline_bundle_create test "
                             f"(fixture univirt_bundle) makes it")
    return pathlib.Path(found[-1])


def bundle_pubkey():
    return BUNDLE_DIR / "univirt-release.pub"
