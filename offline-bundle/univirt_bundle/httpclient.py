"""A small HTTP/1.1 client over http.client: pre-emptive basic auth, retries with
exponential backoff and jitter on transient failures, bodies streamed from files.

Credentials are only ever put in the Authorization header; no message built here contains
headers, so they cannot leak into logs or errors.
"""

import base64
import http.client
import os
import random
import ssl
import time
import urllib.parse

from .errors import BundleError

RETRY_STATUS = (408, 429, 499, 500, 502, 503, 504)
# Nexus behind a proxy: a restart or a proxy timeout is over within a minute (nexus-api.md §6).
DEFAULT_ATTEMPTS = 6
DEFAULT_BASE_DELAY = float(os.environ.get("UNIVIRT_BUNDLE_BACKOFF_BASE", "0.5"))
MAX_DELAY = 15.0
TIMEOUT = 300


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        import json
        return json.loads(self.body or b"null")


class FileBody:
    """A body read from a file region, re-openable for retries, feeding a progress bar."""

    def __init__(self, path, progress=None, offset=0, length=None):
        self.path = path
        self.offset = offset
        self.length = os.path.getsize(path) - offset if length is None else length
        self.progress = progress

    def send(self, conn):
        left = self.length
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            while left > 0:
                chunk = f.read(min(1 << 20, left))
                if not chunk:
                    raise OSError(f"'{self.path}' shrank while it was being sent")
                conn.send(chunk)
                left -= len(chunk)
                if self.progress is not None:
                    self.progress.advance(len(chunk))
        return self.length


class Http:
    def __init__(self, base_url, credentials=None, attempts=DEFAULT_ATTEMPTS,
                 base_delay=DEFAULT_BASE_DELAY, sleep=time.sleep):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise BundleError(f"'{base_url}' is not an http(s) URL", exit_code=2)
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port or (443 if self.scheme == "https" else 80)
        self.prefix = parsed.path.rstrip("/")
        self.base_url = f"{self.scheme}://{self.host}:{self.port}{self.prefix}"
        self.auth = None
        if credentials:
            token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
            self.auth = f"Basic {token}"
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep
        self.server = None

    def _connection(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=TIMEOUT,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)

    def url(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.prefix + path

    def once(self, method, path, headers=None, body=None):
        """One attempt on a new connection (measured: kept-alive connections made the pushes
        slower here, small writes waiting on delayed ACKs). Raises OSError/HTTPException on
        transport failure."""
        hdrs = {"User-Agent": "univirt-bundle", "Accept": "application/json"}
        hdrs.update(headers or {})
        if self.auth and "Authorization" not in hdrs:
            hdrs["Authorization"] = self.auth
        target = path
        if target.startswith("http"):
            parts = urllib.parse.urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn = self._connection()
        try:
            return self._exchange(conn, method, target, hdrs, body).result
        finally:
            conn.close()

    def _exchange(self, conn, method, target, hdrs, body):
        if hasattr(body, "send"):
            hdrs = dict(hdrs, **{"Content-Length": str(body.length)})
            conn.putrequest(method, target, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            body.send(conn)
        else:
            if body is not None:
                hdrs = dict(hdrs, **{"Content-Length": str(len(body))})
            elif method in ("POST", "PUT", "PATCH"):
                hdrs = dict(hdrs, **{"Content-Length": "0"})
            conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()  # b"" for HEAD
        headers_out = {k.lower(): v for k, v in resp.getheaders()}
        if self.server is None and "server" in headers_out:
            self.server = headers_out["server"]
        resp.result = Response(resp.status, headers_out, data)
        return resp

    def request(self, method, path, headers=None, body=None, retry=True, what=None):
        """Retries transient failures; returns the last Response (any status)."""
        target = self.url(path)
        last_error = None
        for attempt in range(1, self.attempts + 1):
            try:
                resp = self.once(method, target, headers, body)
                if not retry or resp.status not in RETRY_STATUS or attempt == self.attempts:
                    return resp
                last_error = f"HTTP {resp.status}"
            except (OSError, http.client.HTTPException) as e:
                last_error = f"{type(e).__name__}: {e}"
                if not retry or attempt == self.attempts:
                    break
            delay = min(MAX_DELAY, self.base_delay * (2 ** (attempt - 1)))
            self.sleep(delay * (0.5 + random.random() / 2))
        raise BundleError(f"{what or method + ' ' + path} on {self.host}:{self.port} failed "
                          f"after {self.attempts} attempts: {last_error}")
