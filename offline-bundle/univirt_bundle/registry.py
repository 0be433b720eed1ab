"""Pushing an OCI image layout with the registry v2 API (OCI distribution spec).

Order: every blob (config and layers, each digest once), then child manifests by digest,
then the tagged manifest or index. Each blob and manifest is HEADed first, so a second push
after an interruption uploads only what is missing (nexus-api.md §4.3, §4.4).
"""

import json
import os
import re
import urllib.parse

from .errors import BundleError
from .httpclient import FileBody, Http

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json") + INDEX_TYPES
ACCEPT = ", ".join(MANIFEST_TYPES)


class Item:
    """One thing to push: a blob or a manifest."""

    def __init__(self, kind, digest, size, path, media_type=None, ref=None):
        self.kind = kind
        self.digest = digest
        self.size = size
        self.path = path
        self.media_type = media_type
        self.ref = ref or digest


def _blob_path(layout, digest):
    algo, _, hexpart = digest.partition(":")
    path = os.path.join(layout, "blobs", algo, hexpart)
    if not os.path.isfile(path):
        raise BundleError(f"OCI layout '{layout}' lacks blob '{digest}'")
    return path


def plan_layout(layout, tag):
    """Blobs and manifests to push for `tag`, in push order."""
    with open(os.path.join(layout, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    tops = [m for m in index.get("manifests", [])
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    if not tops:
        raise BundleError(f"OCI layout '{layout}' has no image tagged '{tag}'")
    blobs, manifests, seen = [], [], set()

    def walk(desc, ref):
        path = _blob_path(layout, desc["digest"])
        with open(path, "rb") as f:
            doc = json.loads(f.read())
        media = desc.get("mediaType") or doc.get("mediaType")
        if media in INDEX_TYPES:
            for child in doc.get("manifests", []):
                walk(child, None)
        else:
            for blob in [doc["config"]] + doc.get("layers", []):
                if blob["digest"] not in seen:
                    seen.add(blob["digest"])
                    blobs.append(Item("blob", blob["digest"], blob["size"],
                                      _blob_path(layout, blob["digest"])))
        manifests.append(Item("manifest", desc["digest"], desc["size"], path, media, ref))

    for top in tops:
        walk(top, tag)
    return blobs + manifests


class RegistryPusher:
    def __init__(self, http, name, stats, dry_run=False, chunk_size=None):
        self.http = http
        self.name = name
        self.stats = stats
        self.dry_run = dry_run
        self.chunk_size = chunk_size

    def ping(self):
        resp = self.http.request("GET", "/v2/", what="registry API check")
        challenge = resp.header("www-authenticate", "")
        if resp.status == 401 and challenge.lower().startswith("bearer ") and self.http.auth:
            # Token realm (Nexus with the Docker Bearer Token Realm, nexus-api.md §4.2): trade
            # the basic credentials for a token once, then send it instead.
            self.http.auth = f"Bearer {self._token(challenge)}"
            resp = self.http.request("GET", "/v2/", what="registry API check")
        if resp.status == 401:
            raise BundleError(f"registry at {self.http.host}:{self.http.port} rejected the "
                              f"credentials (401); set UNIVIRT_NEXUS_USER/"
                              f"UNIVIRT_NEXUS_PASSWORD or --credentials-file")
        if resp.status != 200:
            raise BundleError(f"registry at {self.http.host}:{self.http.port} answered "
                              f"{resp.status} to GET /v2/; is this the Docker connector port?")

    def _token(self, challenge):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.get("realm")
        if not realm:
            raise BundleError("registry asked for a bearer token without naming its realm")
        parts = urllib.parse.urlsplit(realm)
        query = {"scope": f"repository:{self.name}:pull,push"}
        if params.get("service"):
            query["service"] = params["service"]
        token_http = Http(f"{parts.scheme}://{parts.netloc}", None)
        token_http.auth = self.http.auth
        resp = token_http.request("GET", f"{parts.path}?{urllib.parse.urlencode(query)}",
                                  what="registry token request")
        if resp.status != 200:
            raise BundleError(f"registry token service refused the credentials "
                              f"(HTTP {resp.status})")
        try:
            doc = resp.json()
            return doc.get("token") or doc["access_token"]
        except (ValueError, KeyError, AttributeError):
            raise BundleError("registry token service answered without a token") from None

    def present(self, item):
        if item.kind == "blob":
            resp = self.http.request("HEAD", f"/v2/{self.name}/blobs/{item.digest}")
            return resp.status == 200
        resp = self.http.request("HEAD", f"/v2/{self.name}/manifests/{item.ref}",
                                 headers={"Accept": ACCEPT})
        return resp.status == 200 and resp.header("docker-content-digest") == item.digest

    def upload(self, item, progress):
        if item.kind == "blob":
            self._upload_blob(item, progress)
        else:
            self._put_manifest(item, progress)

    def _upload_blob(self, item, progress):
        start = self.http.request("POST", f"/v2/{self.name}/blobs/uploads/",
                                  what=f"upload start of {item.digest}")
        if start.status != 202 or not start.header("location"):
            raise BundleError(f"registry refused to start the upload of blob '{item.digest}' "
                              f"(HTTP {start.status}): {_errors(start)}")
        location = self._absolute(start.header("location"))
        body = FileBody(item.path, progress)
        if self.chunk_size and item.size > self.chunk_size:
            location = self._patch_chunks(item, location, progress)
            body = b""
        sep = "&" if "?" in location else "?"
        target = f"{location}{sep}digest={urllib.parse.quote(item.digest)}"
        resp = self.http.request("PUT", target, body=body,
                                 headers={"Content-Type": "application/octet-stream"},
                                 what=f"upload of blob {item.digest}")
        if resp.status == 201:
            return
        if resp.status == 400 and self.present(item):
            return  # ALLOW_ONCE race: someone committed the same digest (nexus-api.md §4.4)
        raise BundleError(f"registry refused blob '{item.digest}' (HTTP {resp.status}): "
                          f"{_errors(resp)}")

    def _patch_chunks(self, item, location, progress):
        """Chunked upload (PATCH per chunk, following the latest Location): for proxies that
        limit request bodies (nexus-api.md §6, 413). A chunk is not retried on its own: the
        registry may have taken part of it, so a failure fails the blob and the next push
        starts a new upload session."""
        offset = 0
        while offset < item.size:
            length = min(self.chunk_size, item.size - offset)
            resp = self.http.request(
                "PATCH", location, body=FileBody(item.path, progress, offset, length),
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"{offset}-{offset + length - 1}"},
                retry=False, what=f"chunk of blob {item.digest}")
            if resp.status != 202 or not resp.header("location"):
                raise BundleError(f"registry refused a chunk of blob '{item.digest}' "
                                  f"(HTTP {resp.status}): {_errors(resp)}")
            location = self._absolute(resp.header("location"))
            offset += length
        return location

    def _put_manifest(self, item, progress):
        with open(item.path, "rb") as f:
            body = f.read()
        resp = self.http.request("PUT", f"/v2/{self.name}/manifests/{item.ref}", body=body,
                                 headers={"Content-Type": item.media_type},
                                 what=f"manifest {self.name}:{item.ref}")
        if progress is not None:
            progress.advance(len(body))
        if resp.status == 201:
            got = resp.header("docker-content-digest")
            if got and got != item.digest:
                raise BundleError(f"registry stored manifest {self.name}:{item.ref} with digest "
                                  f"'{got}', expected '{item.digest}'")
            return
        if resp.status == 400 and self.present(item):
            return
        raise BundleError(f"registry refused manifest {self.name}:{item.ref} "
                          f"(HTTP {resp.status}): {_errors(resp)}")

    def _absolute(self, location):
        if location.startswith("http://") or location.startswith("https://"):
            return location
        if not location.startswith("/"):
            location = "/" + location
        # A relative Location is relative to the server root (it already carries any
        # /repository/<name> prefix); http.request only prefixes paths, not URLs.
        return f"{self.http.scheme}://{self.http.host}:{self.http.port}{location}"

    def verify_tag(self, tag, digest):
        resp = self.http.request("HEAD", f"/v2/{self.name}/manifests/{tag}",
                                 headers={"Accept": ACCEPT})
        got = resp.header("docker-content-digest")
        if resp.status != 200 or got != digest:
            raise BundleError(f"after the push {self.name}:{tag} resolves to '{got}' "
                              f"(HTTP {resp.status}), expected '{digest}'")


def _errors(resp):
    try:
        doc = json.loads(resp.body or b"{}")
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in doc.get("errors", [])) \
            or resp.body[:200].decode(errors="replace")
    except ValueError:
        return resp.body[:200].decode(errors="replace")
