#!/usr/bin/env python3
"""ansible/ passes ansible-lint's production profile with an empty skip list, and every
playbook passes --syntax-check (EL branches included: they are parsed, never run here)."""
import os
import pathlib
import shutil
import subprocess
import sys
import unittest

SOURCE_DIR = pathlib.Path(os.environ.get("UNIVIRT_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[3]))
ANSIBLE_DIR = SOURCE_DIR / "ansible"


def run(argv, **kwargs):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False,
                          cwd=ANSIBLE_DIR, env=dict(os.environ, ANSIBLE_NOCOLOR="1",
                                                    NO_COLOR="1"), **kwargs)


class AnsibleLintTest(unittest.TestCase):
    def test_lint_production_profile_is_clean(self):
        proc = run(["ansible-lint", "--nocolor", "--profile", "production"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        config = (ANSIBLE_DIR / ".ansible-lint").read_text()
        self.assertIn("profile: production", config)
        self.assertIn("skip_list: []", config)

    def test_every_playbook_passes_syntax_check(self):
        playbooks = sorted((ANSIBLE_DIR / "playbooks").glob("*.yml"))
        self.assertEqual(len(playbooks), 10, [p.name for p in playbooks])
        for playbook in playbooks:
            for inventory in ["inventory.ini", "inventory-ceph.ini"]:
                with self.subTest(playbook=playbook.name, inventory=inventory):
                    proc = run(["ansible-playbook", "-i", inventory, "--syntax-check", playbook])
                    self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_no_ignore_errors_and_no_shell(self):
        for path in ANSIBLE_DIR.rglob("*.yml"):
            text = path.read_text()
            self.assertNotIn("ignore_errors", text, path)
            self.assertNotRegex(text, r"ansible\.builtin\.(shell|raw):", path)


if __name__ == "__main__":
    for tool in ["ansible-lint", "ansible-playbook"]:
        if shutil.which(tool) is None:
            print(f"SKIP: '{tool}' not found; apt-get install ansible ansible-lint", file=sys.stderr)
            sys.exit(77)
    unittest.main()
