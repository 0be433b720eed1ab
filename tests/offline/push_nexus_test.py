#!/usr/bin/python3
"""univirt-bundle push --to nexus:// against the Nexus stand-in: repositories created,
components present, images on the Docker connector, a second push skips everything, an
interrupted push resumes with only the rest, --dry-run changes nothing, credentials never
appear in the output."""

import json
import os
import shutil
import tempfile
import unittest

from nexus_standin import NexusStandin
from offlinetest import bundle_pubkey, bundle_tar, bundle_tool, free_port, run

PASSWORD = "pw-0d5e8a71-never-echo"


class PushNexus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tar = bundle_tar()
        cls.key = bundle_pubkey()
        cls.tmp = tempfile.mkdtemp(prefix="push-nexus-")
        # Push from the extracted directory: each push then skips the extraction.
        cls.root = bundle_tool("extract", cls.tar, "--to", cls.tmp, "--key",
                               cls.key).stdout.strip()
        with open(os.path.join(cls.root, "manifest.json"), encoding="utf-8") as f:
            cls.manifest = json.load(f)
        # One apt signing key for the tests that do not check the generated one (gpg is slow).
        home = os.path.join(cls.tmp, "gnupg")
        os.makedirs(home, mode=0o700)
        env = dict(os.environ, GNUPGHOME=home)
        run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "test <t@localhost>",
             "ed25519", "sign", "never"], env=env)
        cls.apt_key = os.path.join(cls.tmp, "apt-key.asc")
        with open(cls.apt_key, "w", encoding="utf-8") as f:
            f.write(run(["gpg", "--batch", "--armor", "--export-secret-keys"], env=env).stdout)
        run(["gpgconf", "--kill", "all"], env=env)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.nexus = NexusStandin(users={"pusher": PASSWORD}).start()
        self.addCleanup(self.nexus.stop)
        self.docker_port = free_port()
        self.env = dict(os.environ, UNIVIRT_NEXUS_USER="pusher",
                        UNIVIRT_NEXUS_PASSWORD=PASSWORD, UNIVIRT_BUNDLE_BACKOFF_BASE="0.01")
        self.outputs = []

    def tearDown(self):
        for out in self.outputs:
            self.assertNotIn(PASSWORD, out)

    def push(self, *extra, check=True, source=None, own_key=True):
        if own_key:
            extra = ("--apt-signing-key", self.apt_key, *extra)
        proc = bundle_tool("push", source or self.root, "--to",
                           f"nexus://127.0.0.1:{self.nexus.port}", "--docker-port",
                           str(self.docker_port), "--insecure-http", "--key", self.key, *extra,
                           check=check, env=self.env)
        self.outputs += [proc.stdout, proc.stderr]
        return proc

    def counts(self, proc):
        last = proc.stdout.strip().splitlines()[-1]
        return [int(x.split("=")[1]) for x in last.split()[-2:]]

    def expected(self):
        files = [f["path"] for f in self.manifest["files"]]
        debs = [p for p in files if p.endswith(".deb")]
        rpms = [p for p in files if p.endswith(".rpm")]
        raw = [p for p in files if p.split("/")[0] in
               ("ansible", "docs", "environments", "keys", "release")]
        return debs, rpms, raw

    def test_push_creates_repositories_and_uploads_everything_once(self):
        proc = self.push(own_key=False)
        debs, rpms, raw = self.expected()
        repos = self.nexus.repos
        self.assertEqual({n: r.format for n, r in repos.items()},
                         {"univirt-apt": "apt", "univirt-yum": "yum", "univirt-raw": "raw",
                          "univirt-docker": "docker"})
        self.assertEqual(repos["univirt-apt"].body["apt"]["distribution"], "bookworm")
        self.assertIn("BEGIN PGP PRIVATE KEY BLOCK",
                      repos["univirt-apt"].body["aptSigning"]["keypair"])
        self.assertEqual(repos["univirt-docker"].body["docker"]["httpPort"], self.docker_port)
        self.assertEqual(len(repos["univirt-apt"].assets), len(debs))
        self.assertEqual(len(repos["univirt-yum"].assets), len(rpms))
        # raw: the trees plus manifest.json and its signature under univirt/<version>/.
        version = self.manifest["version"]
        self.assertEqual(set(repos["univirt-raw"].assets),
                         {f"univirt/{version}/{p}" for p in raw}
                         | {f"univirt/{version}/manifest.json",
                            f"univirt/{version}/manifest.json.minisig"})
        for f in self.manifest["files"]:
            if f["path"].startswith("docs/"):
                asset = repos["univirt-raw"].assets[f"univirt/{version}/{f['path']}"]
                self.assertEqual(asset.checksum["sha256"], f["sha256"])
        image = self.manifest["images"][0]
        self.assertIn((image["name"], image["tag"]), repos["univirt-docker"].manifests)
        pushed, skipped = self.counts(proc)
        self.assertEqual(skipped, 0)
        blobs = len(repos["univirt-docker"].blobs)
        self.assertEqual(pushed, len(debs) + len(rpms) + len(raw) + 2 + blobs + 1)
        self.assertRegex(proc.stderr, r"transfer: [0-9.]+ [KMG]?i?B in [0-9.]+ s")
        # apt metadata was rebuilt and lists every package.
        posts = [p for m, p, s in self.nexus.requests if m == "POST" and
                 p == "/repository/univirt-apt/rebuild-indexes" and s == 200]
        self.assertEqual(len(posts), 1)

        seen = len(self.nexus.requests)
        again = self.push()
        self.assertEqual(self.counts(again), [0, pushed])
        writes = [(m, p) for m, p, _ in self.nexus.requests[seen:]
                  if m in ("PUT", "PATCH")
                  or (m == "POST" and not p.endswith("rebuild-indexes"))]
        self.assertEqual(writes, [])

    def test_interrupted_push_resumes_with_the_rest(self):
        self.nexus.fail_uploads_after = 20
        failed = self.push(check=False)
        self.assertEqual(failed.returncode, 1)
        self.assertRegex(failed.stderr, r"refused .*HTTP 503")
        stored = sum(len(r.assets) + len(r.blobs) for r in self.nexus.repos.values())
        self.assertEqual(stored, 20)
        self.nexus.fail_uploads_after = None
        resumed = self.push()
        pushed, skipped = self.counts(resumed)
        self.assertEqual(skipped, 20)
        self.assertGreater(pushed, 0)
        image = self.manifest["images"][0]
        self.assertIn((image["name"], image["tag"]),
                      self.nexus.repos["univirt-docker"].manifests)

    def test_push_of_the_tar_waits_for_a_starting_nexus(self):
        """Also: apt metadata rebuilt asynchronously (#725) and a lagging search index."""
        self.nexus.starting_requests = 5
        self.nexus.apt_metadata_lag = 4
        self.nexus.search_lag = 3
        proc = self.push(source=self.tar)
        self.assertGreater(self.counts(proc)[0], 0)
        inrelease = [s for m, p, s in self.nexus.requests
                     if p == "/repository/univirt-apt/dists/bookworm/InRelease"]
        self.assertEqual(inrelease[0], 404)
        self.assertEqual(inrelease[-1], 200)
        # A second push finds everything although new assets hide from search for a while.
        self.assertEqual(self.push(source=self.root).stdout.split()[-2], "pushed=0")
        statuses = [s for m, p, s in self.nexus.requests
                    if p == "/service/rest/v1/status/writable"]
        self.assertEqual(statuses[:5], [503] * 5)
        self.assertEqual(statuses[5], 200)

    def test_images_through_the_repository_path_without_connector(self):
        self.docker_port = 0
        proc = self.push()
        self.assertNotIn("httpPort", self.nexus.repos["univirt-docker"].body["docker"])
        image = self.manifest["images"][0]
        self.assertIn((image["name"], image["tag"]),
                      self.nexus.repos["univirt-docker"].manifests)
        self.assertTrue(any(p.startswith("/repository/univirt-docker/v2/univirt/manifests/")
                            and m == "PUT" and st == 201 for m, p, st in self.nexus.requests))
        self.assertEqual(self.counts(proc)[1], 0)

    def test_images_with_the_docker_bearer_token_realm(self):
        self.nexus.docker_bearer = True
        proc = self.push()
        image = self.manifest["images"][0]
        self.assertIn((image["name"], image["tag"]),
                      self.nexus.repos["univirt-docker"].manifests)
        self.assertEqual(set(self.nexus.token_scopes), {f"repository:{image['name']}:pull,push"})
        self.assertEqual(self.counts(proc)[1], 0)

    def test_chunked_blob_upload_behind_a_body_limit(self):
        """A proxy limiting request bodies (413): --chunk-size sends image blobs in PATCHes."""
        self.push()  # packages and repositories; then forget the image
        docker = self.nexus.repos["univirt-docker"]
        docker.blobs.clear()
        docker.manifests.clear()
        self.nexus.body_limit_bytes = 3 << 20
        failed = self.push(check=False)
        self.assertEqual(failed.returncode, 1)
        self.assertIn("HTTP 413", failed.stderr)
        seen = len(self.nexus.requests)
        proc = self.push("--chunk-size", "2M")
        image = self.manifest["images"][0]
        self.assertIn((image["name"], image["tag"]), docker.manifests)
        patches = [p for m, p, st in self.nexus.requests[seen:] if m == "PATCH" and st == 202]
        self.assertGreater(len(patches), 1)
        self.assertGreater(self.counts(proc)[0], 0)

    def test_an_accepted_but_lost_upload_is_caught_and_repaired(self):
        self.nexus.lose_uploads = 1
        failed = self.push(check=False)
        self.assertEqual(failed.returncode, 1)
        self.assertIn("after its upload was accepted", failed.stderr)
        self.push()
        debs, _, _ = self.expected()
        self.assertEqual(len(self.nexus.repos["univirt-apt"].assets), len(debs))

    def test_dry_run_changes_nothing(self):
        proc = self.push("--dry-run")
        self.assertRegex(proc.stdout, r"^dry run: pushed=[1-9]\d* skipped=0$")
        self.assertEqual(self.nexus.repos, {})
        writes = [r for r in self.nexus.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]
        self.assertEqual(writes, [])

    def test_wrong_password_fails_without_echoing_it(self):
        self.env["UNIVIRT_NEXUS_PASSWORD"] = "wrong-" + PASSWORD
        proc = self.push(check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("rejected the credentials (401)", proc.stderr)
        self.assertNotIn("wrong-", proc.stdout + proc.stderr)

    def test_credentials_file(self):
        creds = os.path.join(self.tmp, "creds")
        with open(creds, "w", encoding="utf-8") as f:
            f.write(f"user=pusher\npassword={PASSWORD}\n")
        os.chmod(creds, 0o600)
        del self.env["UNIVIRT_NEXUS_USER"]
        del self.env["UNIVIRT_NEXUS_PASSWORD"]
        proc = self.push("--credentials-file", creds)
        self.assertGreater(self.counts(proc)[0], 0)
        missing = self.push(check=False)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("no credentials", missing.stderr)


if __name__ == "__main__":
    unittest.main()
