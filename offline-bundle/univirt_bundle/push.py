"""univirt-bundle push: a verified bundle -> Nexus (packages + images) or a plain registry.

Plan first (what is already there is found by sha256 search / HEAD), then upload only what is
missing; --dry-run stops after the plan and changes nothing.
"""

import os
import subprocess
import sys
import time
import urllib.parse

from . import bundle, credentials
from .errors import BundleError, UsageError
from .httpclient import Http
from .nexus import Nexus
from .progress import Progress, throughput_line
from .registry import RegistryPusher, plan_layout
from .util import human_bytes, parse_size, sha256_file

APT_REPO, YUM_REPO, RAW_REPO, DOCKER_REPO = "univirt-apt", "univirt-yum", "univirt-raw", \
    "univirt-docker"
RAW_TREES = ("ansible", "docs", "environments", "keys", "release")


def add_arguments(p):
    p.add_argument("bundle", metavar="BUNDLE", help=".tar, first .tar.part-000, or directory")
    p.add_argument("--to", required=True, metavar="URL",
                   help="nexus://HOST:PORT (Nexus REST) or registry://HOST:PORT")
    p.add_argument("--docker-port", type=int, default=8082,
                   help="Nexus: httpPort of the Docker connector of univirt-docker (8082); 0 "
                        "pushes through /repository/univirt-docker/v2/ on the main port")
    p.add_argument("--namespace", default="",
                   help="image name prefix in the registry, e.g. 'univirt/'")
    p.add_argument("--dry-run", action="store_true", help="report what would be pushed; "
                   "change nothing")
    p.add_argument("--credentials-file", help="file with lines 'user=...' and 'password=...'")
    p.add_argument("--insecure-http", action="store_true",
                   help="speak plain HTTP instead of HTTPS")
    p.add_argument("--key", help="minisign public key to trust when verifying the bundle")
    p.add_argument("--apt-signing-key", help="Nexus: ASCII-armored OpenPGP secret key that "
                   "signs univirt-apt's metadata (default: a new key made with gpg, printed "
                   "fingerprint); passphrase from $UNIVIRT_APT_SIGNING_PASSPHRASE")
    p.add_argument("--chunk-size", type=parse_size, metavar="SIZE",
                   help="upload image blobs larger than SIZE in chunks of SIZE (PATCH), for "
                        "proxies that limit request bodies (e.g. 50M); default: one PUT")
    p.add_argument("--wait", type=float, default=300,
                   help="seconds to wait for Nexus to become writable (300)")


class Stats:
    def __init__(self):
        self.pushed = 0
        self.pushed_bytes = 0
        self.skipped = 0
        self.skipped_bytes = 0
        self.started = time.monotonic()

    def summary(self, dry_run):
        elapsed = time.monotonic() - self.started
        verb = "would push" if dry_run else "pushed"
        return (f"{verb} {self.pushed} item(s) ({human_bytes(self.pushed_bytes)}), skipped "
                f"{self.skipped} already present ({human_bytes(self.skipped_bytes)}); "
                + throughput_line("transfer", self.pushed_bytes, elapsed))


def _target(args):
    parsed = urllib.parse.urlsplit(args.to)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in ("nexus", "registry") or not parsed.hostname or not port:
        raise UsageError(f"--to '{args.to}' must be nexus://HOST:PORT or registry://HOST:PORT")
    scheme = "http" if args.insecure_http else "https"
    return parsed.scheme, parsed.hostname, parsed.port, scheme


def run(args):
    kind, host, port, scheme = _target(args)
    creds = credentials.load(args.credentials_file, required=(kind == "nexus"))
    stats = Stats()
    result, cleanup = bundle.open_dir(args.bundle, args.key,
                                      warn=lambda m: sys.stderr.write(f"warning: {m}\n"))
    try:
        man = result.manifest
        root = result.root
        if kind == "nexus":
            nexus = Nexus(Http(f"{scheme}://{host}:{port}", creds))
            _push_nexus(nexus, args, man, root, stats)
            if args.docker_port:
                registry_http = Http(f"{scheme}://{host}:{args.docker_port}", creds)
            else:
                registry_http = Http(f"{scheme}://{host}:{port}/repository/{DOCKER_REPO}", creds)
            # A dry run against a Nexus without univirt-docker has no connector to ask.
            absent = args.dry_run and nexus.repository(DOCKER_REPO) is None
        else:
            registry_http = Http(f"{scheme}://{host}:{port}", creds)
            absent = False
        _push_images(registry_http, args, man, root, stats, absent)
    finally:
        cleanup()
    sys.stderr.write(stats.summary(args.dry_run) + "\n")
    print(f"{'dry run: ' if args.dry_run else ''}pushed={stats.pushed} skipped={stats.skipped}")
    return 0


def _execute(label, plan, present, upload, stats, dry_run):
    """plan: [(item, size)]; present(item)->bool; upload(item, progress)."""
    todo = []
    for item, size in plan:
        if present(item):
            stats.skipped += 1
            stats.skipped_bytes += size
        else:
            todo.append((item, size))
    total = sum(size for _, size in todo)
    sys.stderr.write(f"{label}: {len(todo)} to push ({human_bytes(total)}), "
                     f"{len(plan) - len(todo)} already present\n")
    stats.pushed += len(todo)
    stats.pushed_bytes += total
    if dry_run or not todo:
        return
    progress = Progress(label, total)
    for item, _ in todo:
        upload(item, progress)
    progress.finish()
    return [item for item, _ in todo]


def _push_images(http, args, man, root, stats, absent=False):
    for image in man["images"]:
        name = f"{args.namespace}{image['name']}"
        pusher = RegistryPusher(http, name, stats, args.dry_run, args.chunk_size)
        if not absent:
            pusher.ping()
        items = plan_layout(os.path.join(root, image["path"]), image["tag"])
        present = (lambda item: False) if absent else pusher.present
        _execute(f"image {name}:{image['tag']}", [(i, i.size) for i in items], present,
                 pusher.upload, stats, args.dry_run)
        if not args.dry_run:
            tagged = items[-1]
            pusher.verify_tag(image["tag"], tagged.digest)


def _deb_fields(path):
    out = subprocess.run(["dpkg-deb", "-f", path, "Package", "Version", "Architecture"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if out.returncode != 0:
        raise BundleError(f"'{path}' is not a readable .deb: {out.stderr.decode().strip()}")
    fields = dict(line.split(": ", 1) for line in out.stdout.decode().splitlines() if ": " in line)
    return fields["Package"], fields["Version"], fields["Architecture"]


class _Asset:
    def __init__(self, repo, local, path, fields, file_field, sha256, size):
        self.repo, self.local, self.path = repo, local, path
        self.fields, self.file_field = fields, file_field
        self.sha256, self.size = sha256, size


def _assets(man, root, version):
    entries = {f["path"]: f for f in man["files"]}
    apt, yum, raw, apt_pkgs = [], [], [], []
    for rel, entry in sorted(entries.items()):
        local = os.path.join(root, rel)
        if rel.endswith(".deb") and rel.startswith("repos/apt/"):
            name, ver, arch = _deb_fields(local)
            path = f"pool/{name[0]}/{name}/{name}_{ver}_{arch}.deb"
            apt.append(_Asset(APT_REPO, local, path, {}, "apt.asset", entry["sha256"],
                              entry["size"]))
            apt_pkgs.append((name, ver))
        elif rel.endswith(".rpm") and rel.startswith("repos/yum/"):
            filename = os.path.basename(rel)
            yum.append(_Asset(YUM_REPO, local, filename, {"yum.asset.filename": filename},
                              "yum.asset", entry["sha256"], entry["size"]))
        elif rel.split("/")[0] in RAW_TREES or "/" not in rel:
            directory = f"univirt/{version}/{os.path.dirname(rel)}".rstrip("/")
            filename = os.path.basename(rel)
            raw.append(_Asset(RAW_REPO, local, f"{directory}/{filename}",
                              {"raw.directory": directory, "raw.asset1.filename": filename},
                              "raw.asset1", entry["sha256"], entry["size"]))
    for name in ("manifest.json", "manifest.json.minisig"):
        local = os.path.join(root, name)
        digest, size = sha256_file(local)
        directory = f"univirt/{version}"
        raw.append(_Asset(RAW_REPO, local, f"{directory}/{name}",
                          {"raw.directory": directory, "raw.asset1.filename": name},
                          "raw.asset1", digest, size))
    return apt, yum, raw, apt_pkgs


def _push_nexus(nexus, args, man, root, stats):
    nexus.wait_writable(args.wait)
    nexus.check_credentials()
    dist = man["repositories"]["apt"]["debian12"]["suite"]
    storage = {"blobStoreName": "default", "strictContentTypeValidation": True,
               "writePolicy": "ALLOW_ONCE"}
    repos = [
        ("raw", {"name": RAW_REPO, "online": True,
                 "storage": dict(storage, strictContentTypeValidation=False),
                 "raw": {"contentDisposition": "ATTACHMENT"}}),
        ("yum", {"name": YUM_REPO, "online": True, "storage": storage,
                 "yum": {"repodataDepth": 0, "deployPolicy": "STRICT"}}),
        ("docker", {"name": DOCKER_REPO, "online": True, "storage": storage,
                    "docker": dict({"v1Enabled": False, "forceBasicAuth": True},
                                   **({"httpPort": args.docker_port} if args.docker_port
                                      else {}))}),
    ]
    if nexus.repository(APT_REPO) is None and not args.dry_run:
        keypair = _apt_keypair(args.apt_signing_key)
        signing = {"keypair": keypair}
        if os.environ.get("UNIVIRT_APT_SIGNING_PASSPHRASE"):
            signing["passphrase"] = os.environ["UNIVIRT_APT_SIGNING_PASSPHRASE"]
    else:
        signing = {"keypair": "(unchanged)"}
    repos.insert(0, ("apt", {"name": APT_REPO, "online": True, "storage": storage,
                             "apt": {"distribution": dist}, "aptSigning": signing}))
    for fmt, body in repos:
        state = nexus.ensure_repository(fmt, body, args.dry_run)
        sys.stderr.write(f"repository {body['name']} ({fmt}/hosted): {state}\n")
    apt, yum, raw, apt_pkgs = _assets(man, root, man["version"])

    def present(asset):
        if args.dry_run and nexus.repository(asset.repo) is None:
            return False
        return nexus.find_asset(asset.repo, asset.sha256, asset.path)

    def upload(asset, progress):
        resp = nexus.upload(asset.repo, asset.fields, asset.file_field,
                            os.path.basename(asset.local), asset.local, progress)
        if resp.status == 204:
            return
        if resp.status == 400 and nexus.find_asset(asset.repo, asset.sha256, asset.path):
            return  # ALLOW_ONCE: the same bytes were stored meanwhile (nexus-api.md §3.3)
        raise BundleError(f"Nexus refused '{asset.path}' for '{asset.repo}' "
                          f"(HTTP {resp.status}): {resp.body[:300].decode(errors='replace')}")

    uploaded = []
    for label, assets in (("apt", apt), ("yum", yum), ("raw", raw)):
        uploaded += _execute(f"{label} packages" if label != "raw" else "raw files",
                             [(a, a.size) for a in assets], present, upload, stats,
                             args.dry_run) or []
    # Post-check (nexus-api.md §6 step 6): every path uploaded in this run is served. The
    # apt packages are also checked against the rebuilt index below.
    for asset in uploaded:
        if not nexus.path_exists(asset.repo, asset.path):
            raise BundleError(f"'{asset.path}' is missing from '{asset.repo}' after its "
                              f"upload was accepted; push again")
    if apt and not args.dry_run:
        nexus.rebuild_apt(APT_REPO)
        nexus.wait_apt_packages(APT_REPO, dist, apt_pkgs, timeout=args.wait)


def _apt_keypair(path):
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read()
    import tempfile
    with tempfile.TemporaryDirectory(prefix="univirt-gpg-") as home:
        env = dict(os.environ, GNUPGHOME=home)
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                        "univirt offline apt <univirt@localhost>", "rsa3072", "sign", "never"],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(["gpg", "--batch", "--armor", "--export-secret-keys"], env=env,
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # gpg-agent outlives gpg; stop it before its home directory goes away.
        subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sys.stderr.write("univirt-apt is signed with a new OpenPGP key; nodes fetch its public "
                         "half from /repository/univirt-apt/repository-key.gpg\n")
        return out.stdout.decode()
