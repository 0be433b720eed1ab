#!/usr/bin/env python3
"""The ClusterRole of the virt-tool DaemonSet grants exactly the (verb, resource) pairs the
univirt daemons were seen using: kube-lite writes an audit.k8s.io/v1 Event per request, the
test suite's kube-lite instances collect them in UNIVIRT_AUDIT_DIR (tests/run sets it for all
labels and runs this one, label `audit`, last), and every request whose userAgent is
univirt-<daemon>/... for a daemon of the DaemonSet counts: the daemon binaries', and those of
the daemon code the in-process harnesses run with a client of the daemon's identity
(kube::testing::daemonClientFor). No more, no fewer.

Usage:
  clusterrole_audit_test.py                  the check (a unittest)
  clusterrole_audit_test.py --print-rules    the rules: block the observed pairs make, for the
                                             deploy template (docs/packaging.md, "How the
                                             ClusterRole is derived")
Exit code 77 (a ctest skip) only when no collection was asked for and CI is not set."""
import collections
import importlib.util
import json
import os
import pathlib
import sys
import unittest

import yaml

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[3]
RENDER = SOURCE_DIR / "tests/packaging/render_manifests.py"
ROLE_NAME = "univirt-node"
# The containers of virt-tool-<os> (distribution contract), all under the univirt ServiceAccount.
DAEMONS = ("virtctl", "virtlet", "libvirtwatcher", "virtmonitor")
SKIP = 77


def in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def collection_dir():
    value = os.environ.get("UNIVIRT_AUDIT_DIR", "")
    return pathlib.Path(value) if value else None


def daemon_of(user_agent):
    for daemon in DAEMONS:
        if user_agent.startswith(f"univirt-{daemon}/"):
            return daemon
    return None


def read_events(directory):
    """Every audit Event in the collection, with the file it came from."""
    for path in sorted(directory.glob("*.audit.jsonl")):
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                line = line.strip()
                if line:
                    try:
                        yield path, json.loads(line)
                    except json.JSONDecodeError as err:
                        raise AssertionError(f"{path}:{number}: not JSON: {err}") from err


def observed_pairs(events):
    """{(verb, group, resource[/subresource]): {daemon, ...}} of the DaemonSet's daemons."""
    pairs = collections.defaultdict(set)
    for _, event in events:
        daemon = daemon_of(event.get("userAgent", ""))
        ref = event.get("objectRef")
        # Non-resource paths (/version, discovery) are every authenticated user's
        # (system:discovery); a 401 never reached authorization.
        if daemon is None or ref is None or event["responseStatus"]["code"] == 401:
            continue
        resource = ref["resource"]
        if ref.get("subresource"):
            resource += "/" + ref["subresource"]
        pairs[(event["verb"], ref.get("apiGroup", ""), resource)].add(daemon)
    return pairs


def render_role():
    spec = importlib.util.spec_from_file_location("render_manifests", RENDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    docs = [d for d in yaml.safe_load_all(module.render({})) if d]
    roles = [d for d in docs if d["kind"] == "ClusterRole" and d["metadata"]["name"] == ROLE_NAME]
    if len(roles) != 1:
        raise AssertionError(f"the deploy template renders {len(roles)} ClusterRoles {ROLE_NAME}")
    return roles[0]


def granted_pairs(role):
    granted = set()
    for rule in role["rules"]:
        if rule.get("nonResourceURLs") or rule.get("resourceNames"):
            raise AssertionError(f"rule {rule} is not a plain (verbs, groups, resources) rule")
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    if "*" in (group, resource, verb):
                        raise AssertionError(f"rule {rule} has a wildcard")
                    granted.add((verb, group, resource))
    return granted


def describe(pairs, who=None):
    rows = []
    for verb, group, resource in sorted(pairs, key=lambda p: (p[1], p[2], p[0])):
        line = f"  {verb:16} {resource} in {group or 'core'}"
        if who is not None:
            line += f"  (by {', '.join(sorted(who[(verb, group, resource)]))})"
        rows.append(line)
    return "\n".join(rows)


def rules_for(pairs):
    """The rules: block, one rule per (group, verbs) with its resources, sorted."""
    by_group_resource = collections.defaultdict(set)
    for verb, group, resource in pairs:
        by_group_resource[(group, resource)].add(verb)
    order = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
    rules = collections.defaultdict(list)
    for (group, resource), verbs in sorted(by_group_resource.items()):
        rules[(group, tuple(v for v in order if v in verbs))].append(resource)
    return [{"apiGroups": [group], "resources": resources, "verbs": list(verbs)}
            for (group, verbs), resources in sorted(rules.items())]


class ClusterRoleMatchesAuditTest(unittest.TestCase):
    directory = None

    def test_clusterrole_grants_exactly_what_the_daemons_used(self):
        events = list(read_events(self.directory))
        self.assertTrue(events, f"no audit Events in {self.directory}: did the integration and "
                        "system tests run with UNIVIRT_AUDIT_DIR set (tests/run)?")
        used = observed_pairs(events)
        seen = set().union(*used.values()) if used else set()
        # A daemon without a single request means its tests did not run (or ran without the
        # collection): its permissions would silently drop out of the comparison.
        self.assertEqual(set(DAEMONS) - seen, set(),
                         f"no API requests from these daemons in {len(events)} audit Events of "
                         f"{self.directory}")
        granted = granted_pairs(render_role())
        missing = set(used) - granted
        unused = granted - set(used)
        message = []
        if missing:
            message.append("used by the daemons but not granted (they would get 403):\n" +
                           describe(missing, used))
        if unused:
            message.append("granted but never used by the daemons (least privilege):\n" +
                           describe(unused))
        if message:
            message.append("the observed set as rules (clusterrole_audit_test.py --print-rules):\n"
                           + yaml.safe_dump(rules_for(used), sort_keys=False))
        if message:
            self.fail("ClusterRole " + ROLE_NAME + " differs from what the daemons used:\n" +
                      "\n".join(message))
        print(f"{len(used)} (verb, resource) pairs from {len(events)} audit Events match "
              f"ClusterRole {ROLE_NAME}:\n{describe(used, used)}")


def main():
    directory = collection_dir()
    if directory is None or not directory.is_dir() or not any(directory.glob("*.audit.jsonl")):
        where = directory or "UNIVIRT_AUDIT_DIR (unset)"
        if directory is None and not in_ci():
            print(f"SKIP: no audit collection in {where}. The check needs the integration and "
                  "system suites run with UNIVIRT_AUDIT_DIR=<dir> (tests/run does this); run it "
                  "through tests/run, or set UNIVIRT_AUDIT_DIR and run "
                  "'ctest -L \"^(integration|system)$\"', then 'ctest -L \"^audit$\"'.",
                  file=sys.stderr)
            return SKIP
        print(f"FAIL: the audit collection {where} is missing or empty (CI={os.environ.get('CI')})"
              ": the integration and system tests must write their kube-lite audit logs there",
              file=sys.stderr)
        return 1
    if "--print-rules" in sys.argv[1:]:
        used = observed_pairs(read_events(directory))
        sys.stdout.write(yaml.safe_dump(rules_for(used), sort_keys=False))
        return 0
    ClusterRoleMatchesAuditTest.directory = directory
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(ClusterRoleMatchesAuditTest)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
