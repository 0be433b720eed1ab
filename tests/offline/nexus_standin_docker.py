"""The Docker registry v2 half of the Nexus stand-in (nexus-api.md §4, §7.6): served on a docker
repository's httpPort connector and under /repository/<name>/v2/. Blobs are repository-wide (as
Nexus stores them under /v2/-/blobs/); ALLOW_ONCE refuses re-committing a blob or re-putting a
manifest with 400 BLOB_UPLOAD_INVALID; manifests must reference blobs (or child manifests)
already in the repository."""

import base64
import hashlib
import json
import os
import re
import uuid

MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.oci.image.index.v1+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json")
INDEX_TYPES = MANIFEST_TYPES[2:]


class DockerV2:
    """Mixin of the stand-in's request handler (uses its _send, _auth, _body, standin)."""

    def _derr(self, status, code, message, detail=None, headers=None):
        return self._send(status, {"errors": [{"code": code, "message": message,
                                               "detail": detail}]}, headers=headers)

    def _docker(self, repo, path, q, prefix=""):
        dh = {"Docker-Distribution-Api-Version": "registry/2.0"}
        write = self.command in ("POST", "PUT", "PATCH", "DELETE")
        if self.standin.docker_bearer:
            return self._docker_bearer(repo, path, q, prefix, dh, write)
        if self._auth(write=write, docker=True) is None:
            return None
        return self._docker_authorized(repo, path, q, prefix, dh)

    def _docker_bearer(self, repo, path, q, prefix, dh, write):
        """Docker Bearer Token Realm mode: basic only at /v2/token, bearer everywhere else."""
        s = self.standin
        base = f"http://{self.headers.get('Host')}{prefix}"
        if path == "/v2/token":
            user = self._auth(docker=True)
            if user is None:
                return None
            token = base64.urlsafe_b64encode(os.urandom(24)).decode()
            s.tokens[token] = user
            s.token_scopes.append(q.get("scope"))
            return self._send(200, {"token": token, "access_token": token, "expires_in": 300})
        auth = self.headers.get("Authorization", "")
        user = s.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if user is None:
            realm = f'Bearer realm="{base}/v2/token",service="{base}/v2/token"'
            return self._derr(401, "UNAUTHORIZED", "access to the requested resource is not "
                              "authorized", headers=dict(dh, **{"WWW-Authenticate": realm}))
        if write and user in s.readonly:
            return self._send(403, b"", ctype=None)
        return self._docker_authorized(repo, path, q, prefix, dh)

    def _docker_authorized(self, repo, path, q, prefix, dh):
        if path in ("/v2", "/v2/"):
            return self._send(200, {}, headers=dh)
        if path == "/v2/_catalog":
            names = sorted({n for n, _ in repo.manifests})
            return self._send(200, {"repositories": names}, headers=dh)
        m = re.match(r"^/v2/(.+)/blobs/uploads/?([^/]*)$", path)
        if m:
            return self._docker_upload(repo, m.group(1), m.group(2), q, prefix, dh)
        m = re.match(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$", path)
        if m and self.command in ("GET", "HEAD"):
            data = repo.blobs.get(m.group(2))
            if data is None:
                return self._derr(404, "BLOB_UNKNOWN", "blob unknown to registry",
                                  m.group(2), headers=dh)
            return self._send(200, data, ctype="application/octet-stream",
                              headers=dict(dh, **{"Docker-Content-Digest": m.group(2)}))
        m = re.match(r"^/v2/(.+)/manifests/([^/]+)$", path)
        if m:
            return self._docker_manifest(repo, m.group(1), m.group(2), prefix, dh)
        m = re.match(r"^/v2/(.+)/tags/list$", path)
        if m and self.command == "GET":
            tags = sorted(ref for n, ref in repo.manifests
                          if n == m.group(1) and not ref.startswith("sha256:"))
            if not tags:
                return self._derr(404, "NAME_UNKNOWN", "repository name not known to registry",
                                  headers=dh)
            return self._send(200, {"name": m.group(1), "tags": tags}, headers=dh)
        return self._derr(404, "NAME_UNKNOWN", "repository name not known to registry",
                          headers=dh)

    def _docker_upload(self, repo, name, ident, q, prefix, dh):
        if self.command == "POST" and not ident:
            session = uuid.uuid4().hex
            repo.uploads[session] = bytearray()
            data = self._body()
            if "digest" in q:
                repo.uploads[session] += data
                return self._docker_commit(repo, name, session, q["digest"], prefix, dh)
            loc = f"{prefix}/v2/{name}/blobs/uploads/{session}"
            return self._send(202, b"", ctype=None, headers=dict(dh, **{
                "Location": loc, "Docker-Upload-UUID": session, "Range": "0-0"}))
        if ident not in repo.uploads:
            return self._derr(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry",
                              headers=dh)
        if self.command == "PATCH":
            repo.uploads[ident] += self._body()
            loc = f"{prefix}/v2/{name}/blobs/uploads/{ident}"
            return self._send(202, b"", ctype=None, headers=dict(dh, **{
                "Location": loc, "Docker-Upload-UUID": ident,
                "Range": f"0-{max(len(repo.uploads[ident]) - 1, 0)}"}))
        if self.command == "PUT":
            repo.uploads[ident] += self._body()
            if "digest" not in q:
                return self._derr(400, "DIGEST_INVALID", "digest parameter missing",
                                  headers=dh)
            return self._docker_commit(repo, name, ident, q["digest"], prefix, dh)
        if self.command == "DELETE":
            repo.uploads.pop(ident, None)
            return self._send(204, b"", ctype=None, headers=dh)
        return self._send(405, b"", ctype=None)

    def _docker_commit(self, repo, name, session, digest, prefix, dh):
        data = bytes(repo.uploads.pop(session))
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            return self._derr(400, "DIGEST_INVALID", "provided digest did not match uploaded "
                              "content", headers=dh)
        if not self.standin.upload_allowed():
            return self._send(503, "upload refused", ctype="text/plain")
        if digest in repo.blobs and repo.policy != "ALLOW":
            return self._derr(400, "BLOB_UPLOAD_INVALID", "blob upload invalid",
                              f"{repo.name}/v2/-/blobs/{digest} cannot be updated", headers=dh)
        repo.blobs[digest] = data
        return self._send(201, b"", ctype=None, headers=dict(dh, **{
            "Location": f"{prefix}/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}))

    def _docker_manifest(self, repo, name, ref, prefix, dh):
        if self.command in ("GET", "HEAD"):
            stored = repo.manifests.get((name, ref))
            if stored is None:
                return self._derr(404, "MANIFEST_UNKNOWN", "manifest unknown", ref, headers=dh)
            media, body, digest = stored
            return self._send(200, body, ctype=media,
                              headers=dict(dh, **{"Docker-Content-Digest": digest}))
        if self.command != "PUT":
            return self._send(405, b"", ctype=None)
        media = self.headers.get("Content-Type", "").split(";")[0].strip()
        body = self._body()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if media not in MANIFEST_TYPES:
            return self._derr(400, "MANIFEST_INVALID", "manifest invalid",
                              f"unsupported media type '{media}'", headers=dh)
        if ref.startswith("sha256:") and ref != digest:
            return self._derr(400, "DIGEST_INVALID", "provided digest did not match uploaded "
                              "content", headers=dh)
        try:
            doc = json.loads(body)
        except ValueError:
            return self._derr(400, "MANIFEST_INVALID", "manifest invalid", headers=dh)
        if media in INDEX_TYPES:
            for child in doc.get("manifests", []):
                if (name, child["digest"]) not in repo.manifests:
                    return self._derr(400, "MANIFEST_INVALID", "manifest invalid",
                                      "manifest list/index references to blobs and/or "
                                      "manifests are missing", headers=dh)
        else:
            for blob in [doc.get("config", {})] + doc.get("layers", []):
                if blob.get("digest") not in repo.blobs:
                    return self._derr(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry",
                                      blob.get("digest"), headers=dh)
        if (name, ref) in repo.manifests and repo.policy != "ALLOW":
            return self._derr(400, "BLOB_UPLOAD_INVALID", "blob upload invalid",
                              f"Repository does not allow updating assets: {repo.name}",
                              headers=dh)
        repo.manifests[(name, ref)] = (media, body, digest)
        repo.manifests[(name, digest)] = (media, body, digest)
        return self._send(201, b"", ctype=None, headers=dict(dh, **{
            "Location": f"{prefix}/v2/{name}/manifests/{digest}",
            "Docker-Content-Digest": digest}))
