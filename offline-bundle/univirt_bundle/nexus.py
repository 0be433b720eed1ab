"""Nexus Repository 3 REST calls the pusher needs (spec: nexus-api.md §1-§3, §5, §6)."""

import hashlib
import json
import time
import urllib.parse
import uuid

from .errors import BundleError

API = "/service/rest/v1"
REALM_HINT = ("set UNIVIRT_NEXUS_USER/UNIVIRT_NEXUS_PASSWORD or --credentials-file with a "
              "user that may create repositories and upload")


def _message(resp):
    text = resp.body[:300].decode("utf-8", "replace").strip()
    try:
        doc = json.loads(text)
        if isinstance(doc, str):
            return doc
        if isinstance(doc, list):
            return "; ".join(f"{e.get('id')}: {e.get('message')}" for e in doc)
    except ValueError:
        pass
    return text or f"HTTP {resp.status}"


class Nexus:
    def __init__(self, http):
        self.http = http

    def wait_writable(self, timeout, clock=time.monotonic, sleep=time.sleep):
        """Polls /status/writable until 200 (Nexus needs minutes to start; nexus-api.md §1.4)."""
        deadline = clock() + timeout
        last = None
        while True:
            try:
                resp = self.http.once("GET", self.http.url(f"{API}/status/writable"))
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
            except OSError as e:
                last = str(e)
            if clock() > deadline:
                raise BundleError(f"Nexus at {self.http.host}:{self.http.port} did not become "
                                  f"writable within {timeout:.0f} s (last answer: {last})")
            sleep(0.5)

    def check_credentials(self):
        """401 fails fast; 403 means authenticated without metrics rights, which is fine."""
        resp = self.http.request("GET", f"{API}/status/check")
        if resp.status == 401:
            raise BundleError(f"Nexus rejected the credentials (401); {REALM_HINT}")

    def repository(self, name):
        resp = self.http.request("GET", f"{API}/repositories/{urllib.parse.quote(name)}")
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise BundleError(f"reading repository '{name}' failed: {_message(resp)}")
        return resp.json()

    def ensure_repository(self, fmt, body, dry_run):
        """GET -> compare format/type; 404 -> create; 400 on create -> re-GET (§2.1)."""
        name = body["name"]
        existing = self.repository(name)
        if existing is not None:
            if existing.get("format") != fmt or existing.get("type") != "hosted":
                raise BundleError(f"repository '{name}' exists as {existing.get('format')}/"
                                  f"{existing.get('type')}, expected {fmt}/hosted; choose "
                                  f"another name")
            return "present"
        if dry_run:
            return "would create"
        resp = self.http.request("POST", f"{API}/repositories/{fmt}/hosted",
                                 body=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
        if resp.status in (200, 201):
            return "created"
        if resp.status == 400 and self.repository(name) is not None:
            return "present"
        if resp.status in (401, 403):
            raise BundleError(f"Nexus refused to create repository '{name}' "
                              f"(HTTP {resp.status}); {REALM_HINT}")
        raise BundleError(f"creating {fmt} repository '{name}' failed (HTTP {resp.status}): "
                          f"{_message(resp)}")

    def find_asset(self, repo, sha256, path):
        """True if `path` in `repo` holds content with `sha256` (search, then HEAD+GET, §3.4)."""
        token = None
        while True:
            query = {"repository": repo, "sha256": sha256}
            if token:
                query["continuationToken"] = token
            resp = self.http.request("GET", f"{API}/search/assets?"
                                     + urllib.parse.urlencode(query))
            if resp.status != 200:
                raise BundleError(f"searching '{repo}' failed: {_message(resp)}")
            page = resp.json()
            for item in page.get("items", []):
                if item.get("path", "").lstrip("/") == path:
                    return True
            token = page.get("continuationToken")
            if not token:
                break
        # The search index lags uploads; the content path is authoritative.
        content = f"/repository/{repo}/{urllib.parse.quote(path)}"
        head = self.http.request("HEAD", content)
        if head.status == 404:
            return False
        if head.status != 200:
            raise BundleError(f"checking '{repo}/{path}' failed (HTTP {head.status})")
        got = self.http.request("GET", content)
        if hashlib.sha256(got.body).hexdigest() == sha256:
            return True
        raise BundleError(f"'{repo}/{path}' already exists with different content; the "
                          f"repository's write policy keeps it, remove it in Nexus or use "
                          f"another repository")

    def path_exists(self, repo, path):
        resp = self.http.request("HEAD", f"/repository/{repo}/{urllib.parse.quote(path)}")
        return resp.status == 200

    def upload(self, repo, fields, file_field, filename, body_file, progress):
        """POST /v1/components multipart (§3.1); 204 on success."""
        boundary = uuid.uuid4().hex
        body = _Multipart(boundary, fields, file_field, filename, body_file, progress)
        resp = self.http.request(
            "POST", f"{API}/components?" + urllib.parse.urlencode({"repository": repo}),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, body=body,
            what=f"upload of '{filename}' to '{repo}'")
        return resp

    def rebuild_apt(self, repo):
        resp = self.http.request("POST", f"/repository/{repo}/rebuild-indexes")
        if resp.status not in (200, 204):
            raise BundleError(f"rebuilding the indexes of '{repo}' failed: {_message(resp)}")

    def wait_apt_packages(self, repo, dist, expected, timeout, clock=time.monotonic,
                          sleep=time.sleep):
        """Polls InRelease and Packages until every (name, version) is listed (§5.1)."""
        deadline = clock() + timeout
        missing = set(expected)
        while True:
            rel = self.http.request("GET", f"/repository/{repo}/dists/{dist}/InRelease")
            if rel.status == 200:
                pk = self.http.request("GET",
                                       f"/repository/{repo}/dists/{dist}/main/binary-amd64/"
                                       f"Packages")
                if pk.status == 200:
                    listed = set()
                    name = None
                    for line in pk.body.decode("utf-8", "replace").splitlines():
                        if line.startswith("Package: "):
                            name = line[9:].strip()
                        elif line.startswith("Version: ") and name:
                            listed.add((name, line[9:].strip()))
                    missing = set(expected) - listed
                    if not missing:
                        return
            if clock() > deadline:
                raise BundleError(f"apt repository '{repo}' does not list "
                                  f"{len(missing)} uploaded package(s) after {timeout:.0f} s, "
                                  f"e.g. {sorted(missing)[:3]}")
            sleep(0.5)


class _Multipart:
    """A multipart/form-data body streamed from a file (FileBody interface)."""

    def __init__(self, boundary, fields, file_field, filename, path, progress):
        import os
        self.progress = progress
        self.path = path
        head = b""
        for key, value in fields.items():
            head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n"
                     f"{value}\r\n").encode()
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
                 f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                 ).encode()
        self.head = head
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.length = len(head) + os.path.getsize(path) + len(self.tail)

    def send(self, conn):
        conn.send(self.head)
        with open(self.path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                conn.send(chunk)
                if self.progress is not None:
                    self.progress.advance(len(chunk))
        conn.send(self.tail)
