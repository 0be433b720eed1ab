#!/usr/bin/python3
"""univirt-bundle push --to registry:// against a real Debian docker-registry on 127.0.0.1;
the image is pulled back with skopeo and its digest compared; a second push skips every blob;
--dry-run stores nothing."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from offlinetest import (bundle_pubkey, bundle_tar, bundle_tool, free_port, run, wait_for)


class Registry:
    """docker-registry serving a temp dir on 127.0.0.1:<free port>."""

    def __init__(self, tmp, credentials=None):
        self.dir = tempfile.mkdtemp(prefix="registry-", dir=tmp)
        self.port = free_port()
        self.credentials = credentials
        config = os.path.join(self.dir, "config.yml")
        auth = ""
        if credentials:
            import bcrypt  # Debian python3-bcrypt: docker-registry's htpasswd wants bcrypt
            htpasswd = os.path.join(self.dir, "htpasswd")
            with open(htpasswd, "w", encoding="utf-8") as f:
                f.write(f"{credentials[0]}:" + bcrypt.hashpw(
                    credentials[1].encode(), bcrypt.gensalt(rounds=5)).decode() + "\n")
            auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {htpasswd}\n"
        with open(config, "w", encoding="utf-8") as f:
            f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {self.dir}/data\n{auth}"
                    f"http:\n  addr: 127.0.0.1:{self.port}\n")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", config], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(self._up, 20, f"docker-registry on port {self.port}")

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError("docker-registry exited; see " + self.log.name)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=1) as r:
                return r.status == 200
        except urllib.error.HTTPError as e:
            return e.code == 401 and self.credentials is not None
        except OSError:
            return False

    def catalog(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/_catalog",
                                    timeout=5) as r:
            return json.load(r)["repositories"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


class PushRegistry(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tar = bundle_tar()
        cls.key = bundle_pubkey()
        cls.tmp = tempfile.mkdtemp(prefix="push-registry-")
        cls.root = bundle_tool("extract", cls.tar, "--to", cls.tmp, "--key",
                               cls.key).stdout.strip()
        with open(os.path.join(cls.root, "manifest.json"), encoding="utf-8") as f:
            cls.image = json.load(f)["images"][0]
        with open(os.path.join(cls.root, cls.image["path"], "index.json"),
                  encoding="utf-8") as f:
            index = json.load(f)
        (cls.digest,) = [m["digest"] for m in index["manifests"]
                         if m["annotations"]["org.opencontainers.image.ref.name"] ==
                         cls.image["tag"]]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.registry = Registry(self.tmp)
        self.addCleanup(self.registry.stop)
        self.to = f"registry://127.0.0.1:{self.registry.port}"

    def test_push_pull_back_and_repush_skips(self):
        proc = bundle_tool("push", self.tar, "--to", self.to, "--insecure-http", "--key",
                           self.key)
        self.assertRegex(proc.stdout, r"^pushed=[1-9]\d* skipped=0$")
        self.assertRegex(proc.stderr, r"transfer: [0-9.]+ [KMG]?i?B in [0-9.]+ s \([0-9.]+ "
                                      r"[KMG]?i?B/s\)")
        ref = f"docker://127.0.0.1:{self.registry.port}/{self.image['name']}:{self.image['tag']}"
        info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", "--raw", ref]).stdout)
        self.assertIn("layers", info)
        digest = json.loads(run(["skopeo", "inspect", "--tls-verify=false", ref]).stdout)[
            "Digest"]
        self.assertEqual(digest, self.digest)
        pulled = os.path.join(self.tmp, "pulled")
        shutil.rmtree(pulled, ignore_errors=True)
        run(["skopeo", "copy", "--src-tls-verify=false", ref, f"oci:{pulled}:back"])
        with open(os.path.join(pulled, "index.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["manifests"][0]["digest"], self.digest)
        again = bundle_tool("push", self.tar, "--to", self.to, "--insecure-http", "--key",
                            self.key)
        self.assertRegex(again.stdout, r"^pushed=0 skipped=[1-9]\d*$")

    def test_push_from_extracted_directory_resumes_after_partial_upload(self):
        # Push only the config blob by hand, as an interrupted push would have left it.
        with open(os.path.join(self.root, self.image["path"], "blobs", "sha256",
                               self.digest.split(":")[1]), "rb") as f:
            config = json.load(f)["config"]["digest"]
        path = os.path.join(self.root, self.image["path"], "blobs", "sha256",
                            config.split(":")[1])
        base = f"http://127.0.0.1:{self.registry.port}/v2/{self.image['name']}/blobs/uploads/"
        with urllib.request.urlopen(urllib.request.Request(base, method="POST")) as r:
            location = r.headers["Location"]
        with open(path, "rb") as f:
            req = urllib.request.Request(f"{location}&digest={config}" if "?" in location
                                         else f"{location}?digest={config}", data=f.read(),
                                         method="PUT",
                                         # Not urllib's default form type: Go would parse it.
                                         headers={"Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(req) as r:
                self.assertEqual(r.status, 201)
        except urllib.error.HTTPError as e:
            raise AssertionError(e.read()) from None
        proc = bundle_tool("push", self.root, "--to", self.to, "--insecure-http", "--key",
                           self.key)
        pushed, skipped = [int(x.split("=")[1]) for x in proc.stdout.split()]
        self.assertEqual(skipped, 1)
        self.assertGreater(pushed, 1)

    def test_registry_with_basic_auth_takes_the_credentials_file(self):
        password = "reg-pw-5f1c-never-echo"
        secured = Registry(self.tmp, ("pusher", password))
        self.addCleanup(secured.stop)
        to = f"registry://127.0.0.1:{secured.port}"
        denied = bundle_tool("push", self.root, "--to", to, "--insecure-http", "--key",
                             self.key, check=False)
        self.assertEqual(denied.returncode, 1)
        self.assertIn("rejected the credentials (401)", denied.stderr)
        creds = os.path.join(self.tmp, "registry-creds")
        with open(creds, "w", encoding="utf-8") as f:
            f.write(f"user=pusher\npassword={password}\n")
        os.chmod(creds, 0o600)
        proc = bundle_tool("push", self.root, "--to", to, "--insecure-http", "--key", self.key,
                           "--credentials-file", creds)
        self.assertRegex(proc.stdout, r"^pushed=[1-9]\d* skipped=0$")
        for out in (denied.stdout, denied.stderr, proc.stdout, proc.stderr):
            self.assertNotIn(password, out)

    def test_chunked_upload_is_accepted_by_the_real_registry(self):
        proc = bundle_tool("push", self.root, "--to", self.to, "--insecure-http", "--key",
                           self.key, "--chunk-size", "4M")
        self.assertRegex(proc.stdout, r"^pushed=[1-9]\d* skipped=0$")
        ref = f"docker://127.0.0.1:{self.registry.port}/{self.image['name']}:{self.image['tag']}"
        info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", ref]).stdout)
        self.assertEqual(info["Digest"], self.digest)
        # skopeo re-reads every layer and checks its digest.
        pulled = os.path.join(self.tmp, "pulled-chunked")
        shutil.rmtree(pulled, ignore_errors=True)
        run(["skopeo", "copy", "--src-tls-verify=false", ref, f"oci:{pulled}:back"])

    def test_dry_run_changes_nothing(self):
        proc = bundle_tool("push", self.tar, "--to", self.to, "--insecure-http", "--dry-run",
                           "--key", self.key)
        self.assertRegex(proc.stdout, r"^dry run: pushed=[1-9]\d* skipped=0$")
        self.assertEqual(self.registry.catalog(), [])


if __name__ == "__main__":
    unittest.main()
