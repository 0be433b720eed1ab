#!/usr/bin/python3
"""univirt-bundle's command line and building blocks without a release: every subcommand's
--help, usage errors (exit 2), sizes, the split writer/chain reader, and the HTTP client's
retry on transient answers from a real local server."""

import http.server
import os
import sys
import tempfile
import threading
import unittest

from offlinetest import SOURCE_DIR, bundle_tool

sys.path.insert(0, str(SOURCE_DIR / "offline-bundle"))

from univirt_bundle import archive, httpclient, util  # noqa: E402
from univirt_bundle.errors import BundleError  # noqa: E402

SUBCOMMANDS = ("create", "verify", "inspect", "extract", "split", "join", "push")


class Cli(unittest.TestCase):
    def test_help_of_every_subcommand(self):
        top = bundle_tool("--help").stdout
        for sub in SUBCOMMANDS:
            self.assertIn(sub, top)
            self.assertIn("usage: univirt-bundle " + sub, bundle_tool(sub, "--help").stdout)

    def test_usage_errors_exit_2(self):
        self.assertEqual(bundle_tool("push", "x.tar", "--to", "ftp://h:1", check=False)
                         .returncode, 2)
        proc = bundle_tool("create", "--release", "/nonexistent", "--out", "/tmp/x",
                           check=False, env=dict(os.environ, UNIVIRT_SIGNING_KEY_FILE=""))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no signing key", proc.stderr)
        proc = bundle_tool("verify", "/nonexistent.tar", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("does not exist", proc.stderr)

    def test_parse_size(self):
        self.assertEqual(util.parse_size("1G"), 1 << 30)
        self.assertEqual(util.parse_size("700M"), 700 << 20)
        self.assertEqual(util.parse_size("4096"), 4096)
        with self.assertRaises(BundleError):
            util.parse_size("lots")

    def test_split_writer_and_chain_reader_round_trip(self):
        data = os.urandom(10000)
        with tempfile.TemporaryDirectory() as tmp:
            base = os.path.join(tmp, "b.tar")
            writer = archive.SplitWriter(base, 3000)
            writer.write(data[:1234])
            writer.write(data[1234:])
            writer.close()
            self.assertEqual([os.path.getsize(p) for p in writer.paths], [3000, 3000, 3000, 1000])
            parts = archive.part_paths(base + ".part-000")
            self.assertEqual(parts, writer.paths)
            reader = archive.ChainReader(parts)
            self.assertEqual(reader.read(5) + reader.read(), data)
            with self.assertRaises(BundleError):
                archive.part_paths(base + ".part-001")


class Flaky(http.server.BaseHTTPRequestHandler):
    answers = []

    def do_GET(self):
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class HttpRetry(unittest.TestCase):
    def setUp(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.sleeps = []
        self.http = httpclient.Http(f"http://127.0.0.1:{self.server.server_address[1]}",
                                    ("u", "p"), attempts=4, base_delay=0.01,
                                    sleep=self.sleeps.append)

    def test_retries_transient_statuses_with_growing_backoff(self):
        Flaky.answers = [503, 502]
        self.assertEqual(self.http.request("GET", "/x").status, 200)
        self.assertEqual(len(self.sleeps), 2)
        self.assertLess(self.sleeps[0], self.sleeps[1] * 2)

    def test_does_not_retry_client_errors(self):
        Flaky.answers = [400]
        self.assertEqual(self.http.request("GET", "/x").status, 400)
        self.assertEqual(self.sleeps, [])

    def test_gives_up_after_the_attempts_with_the_last_answer(self):
        Flaky.answers = [503] * 4
        self.assertEqual(self.http.request("GET", "/x").status, 503)
        self.assertEqual(len(self.sleeps), 3)

    def test_connection_refused_raises_after_retries(self):
        port = self.server.server_address[1]
        self.server.shutdown()
        self.server.server_close()
        dead = httpclient.Http(f"http://127.0.0.1:{port}", attempts=3, base_delay=0.01,
                               sleep=self.sleeps.append)
        with self.assertRaises(BundleError) as ctx:
            dead.request("GET", "/x")
        self.assertIn("failed after 3 attempts", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
