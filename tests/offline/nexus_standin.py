#!/usr/bin/python3
"""A Nexus Repository 3 stand-in for tests: exactly the REST, content and Docker registry v2
endpoints univirt-bundle push uses, with the behaviours /work/shared/spec/nexus-api.md §7
documents (status codes, 400 on duplicate create, ALLOW_ONCE re-upload 400, search by sha256,
continuation tokens, basic auth 401 with WWW-Authenticate, Docker v2 on the repo's httpPort).

In a test:   s = NexusStandin(users={"admin": "pw"}); s.start(); ... s.stop()
From a shell: nexus_standin.py --port 0 --user admin --password-file F  (prints the port)
Knobs (attributes, or POST /__standin/knobs JSON): starting_requests, frozen,
fail_uploads_after (uploads/blob commits allowed before every further one answers 503),
search_lag (searches that miss new assets), apt_metadata_lag, page_size, search_page_size,
docker_bearer (the Docker Bearer Token Realm: /v2/ challenges with Bearer, /v2/token),
body_limit_bytes (413 for larger request bodies, like nginx's client_max_body_size),
lose_uploads (component uploads answered 204 but not stored).
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from nexus_standin_docker import DockerV2

REALM = 'BASIC realm="Sonatype Nexus Repository Manager"'
NAME_RE = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")


def _b64id(repo, internal):
    return base64.urlsafe_b64encode(f"{repo}:{internal}".encode()).decode().rstrip("=")


def _deb_control(data):
    with tempfile.NamedTemporaryFile(suffix=".deb") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["dpkg-deb", "-f", f.name], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, check=False)
    if out.returncode != 0:
        return None
    text = out.stdout.decode("utf-8", "replace")
    fields = {}
    for line in text.splitlines():
        if line and not line[0].isspace() and ": " in line:
            k, v = line.split(": ", 1)
            fields[k] = v
    return text, fields


class Asset:
    counter = 0

    def __init__(self, repo, path, data, uploader, component):
        Asset.counter += 1
        self.internal = Asset.counter
        self.repo = repo
        self.path = path
        self.data = data
        self.uploader = uploader
        self.component = component
        self.created = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
        self.checksum = {n: hashlib.new(n, data).hexdigest()
                         for n in ("sha1", "sha256", "sha512", "md5")}
        self.visible_after = 0

    def xo(self, base, fmt):
        return {"downloadUrl": f"{base}/repository/{self.repo}/{self.path}",
                "path": self.path, "id": _b64id(self.repo, self.internal),
                "repository": self.repo, "format": fmt, "checksum": dict(self.checksum),
                "contentType": "application/octet-stream", "lastModified": self.created,
                "lastDownloaded": None, "uploader": self.uploader, "uploaderIp": "127.0.0.1",
                "fileSize": len(self.data), "blobCreated": self.created,
                "blobStoreName": "default"}


class Repo:
    def __init__(self, fmt, body):
        self.format = fmt
        self.name = body["name"]
        self.body = body
        self.assets = {}
        self.blobs = {}
        self.manifests = {}
        self.uploads = {}
        self.server = None

    @property
    def policy(self):
        return self.body["storage"]["writePolicy"].upper()


class NexusStandin:
    def __init__(self, users=None, readonly_users=None, host="127.0.0.1", port=0):
        self.users = dict(users or {"admin": "admin-test"})
        self.readonly = set(readonly_users or ())
        self.host = host
        self.port = port
        self.repos = {}
        self.lock = threading.RLock()
        self.servers = []
        self.starting_requests = 0
        self.frozen = False
        self.fail_uploads_after = None
        self.uploads_done = 0
        self.search_lag = 0
        self.apt_metadata_lag = 0
        self.page_size = 100
        self.search_page_size = 50
        self.requests = []  # (method, path, status) for assertions
        self.docker_bearer = False  # Docker Bearer Token Realm active, forceBasicAuth false
        self.body_limit_bytes = None  # a proxy's client_max_body_size
        self.lose_uploads = 0  # answer 204 but store nothing (inconsistent blob store, #264)
        self.tokens = {}
        self.token_scopes = []

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self):
        server = self._serve(self.port, docker_repo=None)
        self.port = server.server_address[1]
        return self

    def _serve(self, port, docker_repo):
        standin = self

        class Handler(_Handler):
            pass

        Handler.standin = standin
        Handler.docker_repo = docker_repo
        server = http.server.ThreadingHTTPServer((self.host, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return server

    def stop(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []

    @property
    def base(self):
        return f"http://{self.host}:{self.port}"

    def set_knobs(self, knobs):
        for key, value in knobs.items():
            if key not in ("starting_requests", "frozen", "fail_uploads_after", "search_lag",
                           "apt_metadata_lag", "page_size", "search_page_size",
                           "docker_bearer", "body_limit_bytes", "lose_uploads"):
                raise KeyError(key)
            setattr(self, key, value)
        if "fail_uploads_after" in knobs:
            self.uploads_done = 0

    def upload_allowed(self):
        """False once fail_uploads_after uploads were accepted (an interrupted push)."""
        with self.lock:
            if self.fail_uploads_after is not None and \
                    self.uploads_done >= self.fail_uploads_after:
                return False
            self.uploads_done += 1
            return True


class _Handler(DockerV2, http.server.BaseHTTPRequestHandler):
    standin = None
    docker_repo = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # ---- plumbing --------------------------------------------------------------------------
    def _send(self, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)) or (isinstance(body, str) and ctype ==
                                              "application/json"):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server", "Nexus/3.77.0-standin (COMMUNITY)")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.standin.requests.append((self.command, self.path, status))

    def _body(self):
        return self._request_body

    def _read_body(self):
        """The whole request body, read before answering: a server that answers an upload
        early (404, 401) and closes makes clients see a reset instead of the status."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _user(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return None
        try:
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return None
        return user if self.standin.users.get(user) == pw else None

    def _auth(self, write=False, docker=False):
        user = self._user()
        if user is None:
            headers = {"WWW-Authenticate": REALM}
            if docker:
                headers["Docker-Distribution-Api-Version"] = "registry/2.0"
                self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message":
                                             "access to the requested resource is not "
                                             "authorized", "detail": None}]},
                           headers=headers)
            else:
                self._send(401, b"", ctype=None, headers=headers)
            return None
        if write and user in self.standin.readonly:
            self._send(403, b"", ctype=None)
            return None
        return user

    def _dispatch(self):
        s = self.standin
        parsed = urllib.parse.urlsplit(self.path)
        path, query = parsed.path, urllib.parse.parse_qs(parsed.query)
        q = {k: v[0] for k, v in query.items()}
        if path == "/__standin/knobs" and self.command == "POST":
            s.set_knobs(json.loads(self._body()))
            return self._send(204, b"", ctype=None)
        if self.docker_repo is not None:
            return self._docker(self.docker_repo, path, q)
        if path.startswith("/service/rest/v1/status"):
            return self._status(path)
        if s.starting_requests > 0:
            s.starting_requests -= 1
            return self._send(503, b"", ctype=None)
        if path.startswith("/service/rest/v1/repositories"):
            return self._repositories(path)
        if path == "/service/rest/v1/components" or path.startswith(
                "/service/rest/v1/components/"):
            return self._components(path, q)
        if path == "/service/rest/v1/assets" or path.startswith("/service/rest/v1/assets/"):
            return self._assets(path, q)
        if path in ("/service/rest/v1/search/assets", "/service/rest/v1/search"):
            return self._search(path, q)
        m = re.match(r"^/repository/([^/]+)/(v2/.*)$", path)
        if m and m.group(1) in s.repos and s.repos[m.group(1)].format == "docker":
            return self._docker(s.repos[m.group(1)], "/" + m.group(2), q,
                                prefix=f"/repository/{m.group(1)}")
        m = re.match(r"^/repository/([^/]+)/?(.*)$", path)
        if m:
            return self._content(m.group(1), urllib.parse.unquote(m.group(2)))
        return self._send(404, b"", ctype=None)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = lambda self: self._guard()

    def _guard(self):
        try:
            self._request_body = self._read_body()
            limit = self.standin.body_limit_bytes
            if limit is not None and len(self._request_body) > limit:
                # What nginx in front of Nexus answers (nexus-api.md §6).
                return self._send(413, "<html><head><title>413 Request Entity Too Large</title>"
                                       "</head></html>", ctype="text/html")
            with self.standin.lock:
                self._dispatch()
        except BrokenPipeError:
            pass

    # ---- status ----------------------------------------------------------------------------
    def _status(self, path):
        s = self.standin
        if path == "/service/rest/v1/status/check":
            if self._auth() is None:
                return None
            return self._send(200, {"Blob Stores": {"healthy": True, "message": None}})
        if path not in ("/service/rest/v1/status", "/service/rest/v1/status/writable"):
            return self._send(404, b"", ctype=None)
        if s.starting_requests > 0:
            s.starting_requests -= 1
            return self._send(503, b"", ctype=None)
        if s.frozen:
            return self._send(503, b"", ctype=None)
        return self._send(200, b"", ctype=None)

    # ---- repositories ----------------------------------------------------------------------
    def _repo_xo(self, repo):
        return {"name": repo.name, "format": repo.format, "type": "hosted",
                "url": f"{self.standin.base}/repository/{repo.name}", "attributes": {}}

    def _repositories(self, path):
        s = self.standin
        rest = path[len("/service/rest/v1/repositories"):].strip("/").split("/")
        rest = [urllib.parse.unquote(p) for p in rest if p]
        if self.command == "GET" and not rest:
            if self._auth() is None:
                return None
            return self._send(200, [self._repo_xo(r) for r in s.repos.values()])
        if self.command == "GET" and len(rest) == 1:
            if self._auth() is None:
                return None
            repo = s.repos.get(rest[0])
            if repo is None:
                return self._send(404, f"Unable to locate repository with id {rest[0]}",
                                  ctype="text/plain")
            return self._send(200, self._repo_xo(repo))
        if self.command == "GET" and len(rest) == 3 and rest[1] == "hosted":
            if self._auth() is None:
                return None
            repo = s.repos.get(rest[2])
            if repo is None or repo.format != rest[0]:
                return self._send(404, "Repository not found")
            return self._send(200, dict(repo.body, format=repo.format, type="hosted",
                                        url=f"{s.base}/repository/{repo.name}"))
        if self.command == "POST" and len(rest) == 2 and rest[1] == "hosted":
            if self._auth(write=True) is None:
                return None
            return self._create(rest[0])
        if self.command == "DELETE" and len(rest) == 1:
            if self._auth(write=True) is None:
                return None
            repo = s.repos.pop(rest[0], None)
            if repo is None:
                return self._send(404, b"", ctype=None)
            return self._send(204, b"", ctype=None)
        return self._send(405, b"", ctype=None)

    def _create(self, fmt):
        s = self.standin
        if fmt not in ("raw", "apt", "yum", "docker"):
            return self._send(404, b"", ctype=None)
        try:
            body = json.loads(self._body())
        except ValueError:
            return self._send(400, [{"id": "*", "message": "Unable to parse JSON"}])
        errors = []
        storage = body.get("storage") if isinstance(body.get("storage"), dict) else None
        if not body.get("name") or not NAME_RE.match(str(body.get("name"))):
            errors.append({"id": "PARAMETER name", "message": "must match "
                           "\"^[a-zA-Z0-9\\-]{1}[a-zA-Z0-9_\\-\\.]*$\""})
        if not isinstance(body.get("online"), bool):
            errors.append({"id": "PARAMETER online", "message": "must not be null"})
        if storage is None:
            errors.append({"id": "PARAMETER storage", "message": "must not be null"})
        else:
            if not isinstance(storage.get("strictContentTypeValidation"), bool):
                errors.append({"id": "PARAMETER strictContentTypeValidation",
                               "message": "must not be null"})
            if str(storage.get("writePolicy", "")).upper() not in ("ALLOW", "ALLOW_ONCE",
                                                                    "DENY"):
                errors.append({"id": "PARAMETER writePolicy", "message": "must not be null"})
        if fmt == "apt":
            if not (body.get("apt") or {}).get("distribution"):
                errors.append({"id": "PARAMETER distribution", "message": "must not be empty"})
            if not (body.get("aptSigning") or {}).get("keypair"):
                errors.append({"id": "PARAMETER keypair", "message": "must not be empty"})
        if fmt == "yum" and not isinstance((body.get("yum") or {}).get("repodataDepth"), int):
            errors.append({"id": "PARAMETER repodataDepth", "message": "must not be null"})
        if fmt == "docker":
            docker = body.get("docker") or {}
            for key in ("v1Enabled", "forceBasicAuth"):
                if not isinstance(docker.get(key), bool):
                    errors.append({"id": f"PARAMETER {key}", "message": "must not be null"})
        if errors:
            return self._send(400, errors)
        if storage.get("blobStoreName") != "default":
            return self._send(400, [{"id": "BlobStoreName", "message":
                                     f"Blob store {storage.get('blobStoreName')} does not "
                                     f"exist"}])
        if any(n.lower() == body["name"].lower() for n in s.repos):
            return self._send(400, "Name is already used, must be unique (ignoring case)")
        repo = Repo(fmt, body)
        if fmt == "docker" and body["docker"].get("httpPort"):
            try:
                repo.server = s._serve(int(body["docker"]["httpPort"]), docker_repo=repo)
            except OSError as e:
                return self._send(400, f"Could not open the HTTP connector: {e}")
        s.repos[body["name"]] = repo
        return self._send(201, b"", ctype=None)

    # ---- components upload and listing -----------------------------------------------------
    def _multipart(self):
        ctype = self.headers.get("Content-Type", "")
        m = re.match(r"multipart/form-data;\s*boundary=\"?([^\";]+)\"?", ctype)
        if not m:
            return None
        boundary = ("--" + m.group(1)).encode()
        body = self._body()
        parts = {}
        for chunk in body.split(boundary)[1:]:
            if chunk.startswith(b"--"):
                break
            head, _, data = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
            data = data[:-2] if data.endswith(b"\r\n") else data
            disp = re.search(rb'name="([^"]*)"(?:; filename="([^"]*)")?', head)
            if disp:
                parts[disp.group(1).decode()] = (data, disp.group(2) is not None)
        return parts

    def _store(self, repo, path, data, user, component):
        """Write-policy check, then store; returns an error response tuple or None."""
        path = re.sub(r"/+", "/", path).strip("/")
        if path in repo.assets:
            if repo.policy != "ALLOW" and not (repo.format == "apt" and
                                              not path.endswith(".deb")):
                return (400, f"{repo.name}/{path} cannot be updated")
        elif repo.policy == "DENY":
            return (400, f"{repo.name}/{path} is read-only")
        asset = Asset(repo.name, path, data, user, component)
        asset.visible_after = self.standin.search_lag
        repo.assets[path] = asset
        if repo.format == "apt":
            repo.metadata_lag = self.standin.apt_metadata_lag
        return None

    def _components(self, path, q):
        s = self.standin
        if self.command == "DELETE":
            if self._auth(write=True) is None:
                return None
            return self._delete_by_id(path.rsplit("/", 1)[1], whole_component=True)
        user = self._auth(write=self.command == "POST")
        if user is None:
            return None
        if "repository" not in q:
            return self._send(422, "repository is required")
        repo = s.repos.get(q["repository"])
        if repo is None:
            return self._send(404, "Repository not found")
        if self.command == "GET":
            return self._page(self._component_xos(repo), q, s.page_size)
        if self.command != "POST":
            return self._send(405, b"", ctype=None)
        parts = self._multipart()
        if parts is None:
            return self._send(400, "Expected multipart Content-Type")
        if repo.format == "docker":
            return self._send(400, "Uploading components to a 'docker' repository is not "
                                   "supported")
        prefix = repo.format + "."
        fields = {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in parts.items()}
        files = {k: v[0] for k, v in fields.items() if v[1]}
        text = {k: v[0].decode() for k, v in fields.items() if not v[1] and v[0]}
        if not files:
            return self._send(400, "No assets found in upload")
        if not s.upload_allowed():
            return self._send(503, "upload refused: stand-in fail_uploads_after reached",
                              ctype="text/plain")
        if repo.format == "raw":
            if "directory" not in text:
                return self._send(400, [{"id": "directory", "message":
                                         "Missing required component field 'Directory'"}])
            stores = []
            for key, data in files.items():
                if f"{key}.filename" not in text:
                    return self._send(400, [{"id": "filename", "message":
                                             f"Missing required asset field 'Filename' on "
                                             f"'{key}'"}])
                stores.append((f"{text['directory']}/{text[key + '.filename']}", data))
            for field in text:
                if field != "directory" and not any(field == f"{k}.filename" for k in files):
                    return self._send(400, f"Unknown component field '{field}'")
        elif repo.format == "yum":
            if "asset" not in files or "asset.filename" not in text:
                return self._send(400, "Missing required asset field 'Filename' on 'asset'")
            directory = text.get("directory", "").strip("/")
            depth = len([p for p in directory.split("/") if p])
            if depth < repo.body["yum"]["repodataDepth"]:
                return self._send(400, f"Directory depth {depth} is below the repodata depth")
            stores = [(f"{directory}/{text['asset.filename']}", files["asset"])]
        else:  # apt
            if list(files) != ["asset"] or text:
                return self._send(400, "apt uploads take exactly one 'apt.asset'")
            control = _deb_control(files["asset"])
            if control is None:
                return self._send(400, "Could not parse the .deb control file")
            f = control[1]
            pkg = f["Package"]
            stores = [(f"pool/{pkg[0]}/{pkg}/{pkg}_{f['Version']}_{f['Architecture']}.deb",
                       files["asset"])]
        if s.lose_uploads > 0:
            s.lose_uploads -= 1
            return self._send(204, b"", ctype=None)
        for path_, data in stores:
            error = self._store(repo, path_, data, self._user(), path_)
            if error:
                return self._send(error[0], error[1])
        return self._send(204, b"", ctype=None)

    def _component_xos(self, repo):
        out = []
        for asset in repo.assets.values():
            name = os.path.basename(asset.path)
            group = "/" + os.path.dirname(asset.path) if repo.format == "raw" else None
            out.append({"id": _b64id(repo.name, asset.internal), "repository": repo.name,
                        "format": repo.format, "group": group,
                        "name": asset.path if repo.format == "raw" else name,
                        "version": None, "assets": [asset.xo(self.standin.base, repo.format)]})
        return out

    def _page(self, items, q, size):
        start = int(q.get("continuationToken") or 0) if (q.get("continuationToken") or
                                                         "0").isdigit() else None
        if start is None:
            return self._send(406, "invalid continuationToken")
        page = items[start:start + size]
        token = str(start + size) if start + size < len(items) else None
        return self._send(200, {"items": page, "continuationToken": token})

    def _assets(self, path, q):
        s = self.standin
        if self.command == "DELETE":
            if self._auth(write=True) is None:
                return None
            return self._delete_by_id(path.rsplit("/", 1)[1], whole_component=False)
        if self._auth() is None:
            return None
        if "repository" not in q:
            return self._send(422, "repository is required")
        repo = s.repos.get(q["repository"])
        if repo is None:
            return self._send(404, "Repository not found")
        return self._page([a.xo(s.base, repo.format) for a in repo.assets.values()], q,
                          s.page_size)

    def _delete_by_id(self, ident, whole_component):
        try:
            repo_name, _, internal = base64.urlsafe_b64decode(
                ident + "=" * (-len(ident) % 4)).decode().partition(":")
        except ValueError:
            return self._send(422, "invalid id")
        repo = self.standin.repos.get(repo_name)
        for path, asset in list((repo.assets if repo else {}).items()):
            if str(asset.internal) == internal:
                del repo.assets[path]
                return self._send(204, b"", ctype=None)
        return self._send(404, b"", ctype=None)

    def _search(self, path, q):
        s = self.standin
        if self._auth() is None:
            return None
        matches = []
        for repo in s.repos.values():
            if "repository" in q and repo.name != q["repository"]:
                continue
            if "format" in q and repo.format != q["format"]:
                continue
            for asset in repo.assets.values():
                if asset.visible_after > 0:
                    asset.visible_after -= 1
                    continue
                if any(h in q and asset.checksum[h] != q[h].lower()
                       for h in ("sha1", "sha256", "sha512", "md5")):
                    continue
                if "name" in q and os.path.basename(asset.path) != q["name"] and \
                        asset.path != q["name"]:
                    continue
                matches.append((repo, asset))
        if path.endswith("/assets"):
            items = [a.xo(s.base, r.format) for r, a in matches]
        else:
            items = [c for r in {id(r): r for r, _ in matches}.values()
                     for c in self._component_xos(r)
                     if any(c["assets"][0]["path"] == a.path for _, a in matches)]
        return self._page(items, q, s.search_page_size)

    # ---- content paths ---------------------------------------------------------------------
    def _content(self, name, path):
        s = self.standin
        repo = s.repos.get(name)
        if repo is None:
            return self._send(404, b"", ctype=None)
        write = self.command in ("PUT", "POST", "DELETE")
        user = self._auth(write=write)
        if user is None:
            return None
        if repo.format == "apt":
            if self.command == "POST" and path == "rebuild-indexes":
                # 3.84+: the rebuild runs asynchronously; metadata_lag keeps counting down.
                return self._send(200, b"", ctype=None)
            if self.command == "POST" and path == "":
                data = self._body()
                control = _deb_control(data)
                if control is None:
                    return self._send(400, "Could not parse the .deb control file",
                                      ctype="text/plain")
                f = control[1]
                pkg = f["Package"]
                error = self._store(repo, f"pool/{pkg[0]}/{pkg}/{pkg}_{f['Version']}_"
                                          f"{f['Architecture']}.deb", data, user, pkg)
                if error:
                    return self._send(error[0], error[1], ctype="text/plain")
                return self._send(201, b"", ctype=None)
            if self.command in ("GET", "HEAD") and path.startswith("dists/"):
                return self._apt_metadata(repo, path)
            if path == "repository-key.gpg" and self.command in ("GET", "HEAD"):
                return self._send(200, b"", ctype="application/pgp")
        if self.command == "PUT" and repo.format in ("raw", "yum"):
            if not s.upload_allowed():
                return self._send(503, "upload refused", ctype="text/plain")
            error = self._store(repo, path, self._body(), user, path)
            if error:
                return self._send(error[0], error[1], ctype="text/plain")
            return self._send(201 if repo.format == "raw" else 200, b"", ctype=None)
        if self.command in ("GET", "HEAD"):
            asset = repo.assets.get(path.strip("/"))
            if asset is None:
                return self._send(404, b"", ctype=None)
            return self._send(200, asset.data, ctype="application/octet-stream",
                              headers={"ETag": f"\"{asset.checksum['sha1']}\"",
                                       "Last-Modified": time.strftime(
                                           "%a, %d %b %Y %H:%M:%S GMT", time.gmtime())})
        if self.command == "DELETE":
            if repo.assets.pop(path.strip("/"), None) is None:
                return self._send(404, b"", ctype=None)
            return self._send(204, b"", ctype=None)
        return self._send(405, b"", ctype=None)

    def _apt_metadata(self, repo, path):
        dist = repo.body["apt"]["distribution"]
        if getattr(repo, "metadata_lag", 0) > 0:
            repo.metadata_lag -= 1
            return self._send(404, b"", ctype=None)
        stanzas = []
        for asset in sorted(repo.assets.values(), key=lambda a: a.path):
            if not asset.path.endswith(".deb"):
                continue
            if getattr(asset, "control", None) is None:
                asset.control = _deb_control(asset.data)[0].rstrip("\n")
            control = asset.control
            stanzas.append(f"{control}\nFilename: {asset.path}\nSize: {len(asset.data)}\n"
                           f"SHA256: {asset.checksum['sha256']}\n")
        packages = "\n".join(stanzas).encode()
        if path == f"dists/{dist}/main/binary-amd64/Packages":
            return self._send(200, packages, ctype="text/plain")
        if path in (f"dists/{dist}/Release", f"dists/{dist}/InRelease"):
            sha = hashlib.sha256(packages).hexdigest()
            release = (f"Origin: {repo.name}\nLabel: {repo.name}\nSuite: {dist}\n"
                       f"Codename: {dist}\nComponents: main\nArchitectures: amd64\n"
                       f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}\n"
                       f"SHA256:\n {sha} {len(packages)} main/binary-amd64/Packages\n")
            return self._send(200, release, ctype="text/plain")
        return self._send(404, b"", ctype=None)


def main():
    p = argparse.ArgumentParser(description="Nexus Repository 3 stand-in for tests")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user", default="admin")
    p.add_argument("--password-file", required=True)
    a = p.parse_args()
    with open(a.password_file, encoding="utf-8") as f:
        password = f.read().strip()
    standin = NexusStandin(users={a.user: password}, port=a.port).start()
    print(standin.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
