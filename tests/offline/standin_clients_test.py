#!/usr/bin/python3
"""The Nexus stand-in checked by clients nobody here wrote: Sonatype's generated OpenAPI client
(npm @sonatype/nexus-repo-api-client, pinned in nexus-client/package-lock.json, installed into
the build tree) for the REST part, and skopeo for the Docker registry v2 part."""

import base64
import filecmp
import glob
import json
import os
import shutil
import tempfile
import unittest
import urllib.request

from nexus_standin import NexusStandin
from offlinetest import (BINARY_DIR, HERE, bundle_pubkey, bundle_tar, bundle_tool, free_port,
                         run)

CLIENT_SRC = HERE / "nexus-client"
CLIENT_DIR = BINARY_DIR / "nexus-client"
PACKAGE = "@sonatype/nexus-repo-api-client"


def install_client():
    """npm ci from the committed lock file, only when the lock file changed (idempotent)."""
    CLIENT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = CLIENT_DIR / "package-lock.installed"
    lock = CLIENT_SRC / "package-lock.json"
    for name in ("package.json", "package-lock.json", "check.js"):
        shutil.copyfile(CLIENT_SRC / name, CLIENT_DIR / name)
    installed = CLIENT_DIR / "node_modules" / PACKAGE / "package.json"
    if not (installed.exists() and stamp.exists() and filecmp.cmp(stamp, lock, shallow=False)):
        run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=CLIENT_DIR)
        shutil.copyfile(lock, stamp)
    with open(installed, encoding="utf-8") as f:
        return json.load(f)["version"]


class StandinClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="standin-clients-")
        cls.root = bundle_tool("extract", bundle_tar(), "--to", cls.tmp, "--key",
                               bundle_pubkey()).stdout.strip()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.user, self.password = "checker", "pw-client-check"
        self.nexus = NexusStandin(users={self.user: self.password}).start()
        self.addCleanup(self.nexus.stop)

    def test_sonatype_openapi_client(self):
        version = install_client()
        self.assertEqual(version, "3.96.3")
        deb = sorted(glob.glob(os.path.join(self.root, "repos/apt/debian12/pool/main/u/"
                                                       "univirt-daemons/*.deb")))[0]
        rpm = sorted(glob.glob(os.path.join(self.root, "repos/yum/el/univirt-daemons-*.rpm")))[0]
        env = dict(os.environ, NEXUS_URL=self.nexus.base, NEXUS_USER=self.user,
                   NEXUS_PASSWORD=self.password, DOCKER_PORT=str(free_port()), DEB=deb,
                   RPM=rpm, TMPDIR=self.tmp)
        proc = run(["node", CLIENT_DIR / "check.js"], env=env, cwd=CLIENT_DIR)
        result = json.loads(proc.stdout)
        self.assertTrue(result["ok"])
        self.assertEqual(len(result["checks"]), 10)
        print(f"{PACKAGE}@{version}: {', '.join(result['checks'])}")

    def _create_docker_repo(self, port):
        body = {"name": "images", "online": True,
                "storage": {"blobStoreName": "default", "strictContentTypeValidation": True,
                            "writePolicy": "ALLOW_ONCE"},
                "docker": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": port}}
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = urllib.request.Request(
            f"{self.nexus.base}/service/rest/v1/repositories/docker/hosted",
            data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req) as resp:
            self.assertEqual(resp.status, 201)
        auth = os.path.join(self.tmp, "auth.json")
        with open(auth, "w", encoding="utf-8") as f:
            json.dump({"auths": {f"127.0.0.1:{port}": {"auth": token}}}, f)
        return auth

    def test_skopeo_copy_and_inspect_on_the_docker_connector(self):
        port = free_port()
        auth = self._create_docker_repo(port)
        with open(os.path.join(self.root, "manifest.json"), encoding="utf-8") as f:
            image = json.load(f)["images"][0]
        layout = os.path.join(self.root, image["path"])
        with open(os.path.join(layout, "index.json"), encoding="utf-8") as f:
            digest = json.load(f)["manifests"][0]["digest"]
        ref = f"docker://127.0.0.1:{port}/univirt/{image['name']}:{image['tag']}"
        anonymous = run(["skopeo", "inspect", "--tls-verify=false", "--raw", ref], check=False)
        self.assertNotEqual(anonymous.returncode, 0)
        self.assertRegex(anonymous.stderr, r"(?i)unauthorized|authentication required")
        run(["skopeo", "copy", "--dest-tls-verify=false", "--authfile", auth,
             f"oci:{layout}:{image['tag']}", ref])
        info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", "--authfile", auth,
                               ref]).stdout)
        self.assertEqual(info["Digest"], digest)
        back = os.path.join(self.tmp, "back")
        run(["skopeo", "copy", "--src-tls-verify=false", "--authfile", auth, ref,
             f"oci:{back}:x"])
        with open(os.path.join(back, "index.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["manifests"][0]["digest"], digest)
        tags = json.loads(run(["skopeo", "list-tags", "--tls-verify=false", "--authfile", auth,
                               ref.rsplit(":", 1)[0]]).stdout)
        self.assertEqual(tags["Tags"], [image["tag"]])


if __name__ == "__main__":
    unittest.main()
