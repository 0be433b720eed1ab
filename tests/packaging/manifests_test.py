#!/usr/bin/env python3
"""The deploy role's manifests: the rendered copy is current, every object is a valid
Kubernetes object (python3-kubernetes models), the DaemonSets keep the upstream contract and
mount only what each container needs, and kubectl applies them to kube-lite."""
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

import kubernetes.client
import yaml

from pkgtest import BINARY_DIR, SOURCE_DIR, run, timed, wait_for

RENDERED = SOURCE_DIR / "ansible/roles/deploy/templates/virt-tool.rendered.yaml"
RENDER = SOURCE_DIR / "tests/packaging/render_manifests.py"
CONTAINERS = ["virtctl", "virtlet", "libvirtwatcher", "virtmonitor"]
# Host paths upstream mounted and we must not (distribution contract §7.2).
FORBIDDEN_HOST_PATHS = {"/", "/etc", "/etc/", "/usr/bin", "/usr/lib", "/root", "/root/.kube",
                        "/root/.ssh", "/root/.bashrc", "/bin", "/usr/sbin", "/var/log",
                        "/var/log/", "/usr/local/bin"}


class _Response:  # what ApiClient.deserialize reads
    def __init__(self, obj):
        self.data = json.dumps(obj)


def to_model(obj):
    api_version = obj["apiVersion"]
    group_version = api_version.split("/")
    prefix = "V1" if group_version[-1] == "v1" else group_version[-1].capitalize()
    return kubernetes.client.ApiClient().deserialize(_Response(obj), prefix + obj["kind"])


def load_docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


class RenderedManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = load_docs(RENDERED.read_text(encoding="utf-8"))
        cls.by_name = {(d["kind"], d["metadata"]["name"]): d for d in cls.docs}

    def test_rendered_copy_matches_the_template(self):
        proc = run([sys.executable, RENDER, "--check"], check=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_every_object_deserializes_into_its_kubernetes_model(self):
        for doc in self.docs:
            model = to_model(doc)
            self.assertEqual(model.metadata.name, doc["metadata"]["name"])
            # Round trip: nothing in the YAML was dropped as an unknown field.
            back = kubernetes.client.ApiClient().sanitize_for_serialization(model)
            self.assertEqual(_strip_none(back), _strip_none(doc), doc["metadata"]["name"])

    def test_daemonsets_keep_the_upstream_names_selectors_and_containers(self):
        for os_name in ["centos", "ubuntu"]:
            ds = to_model(self.by_name[("DaemonSet", f"virt-tool-{os_name}")])
            self.assertEqual(ds.metadata.namespace, "kube-system")
            pod = ds.spec.template.spec
            self.assertEqual(pod.node_selector, {f"doslab/virt.tool.{os_name}": ""})
            self.assertEqual([c.name for c in pod.containers], CONTAINERS)
            self.assertEqual(pod.service_account_name, "univirt")
            images = {c.image for c in pod.containers}
            self.assertEqual(len(images), 1, "all four containers run the one univirt image")
            for c in pod.containers:
                self.assertEqual(c.liveness_probe.http_get.path, "/healthz", c.name)
                self.assertEqual(c.readiness_probe.http_get.path, "/readyz", c.name)
                self.assertTrue(c.resources.requests and c.resources.limits, c.name)

    def test_containers_mount_only_what_they_need(self):
        ds = to_model(self.by_name[("DaemonSet", "virt-tool-centos")])
        pod = ds.spec.template.spec
        host_paths = {v.name: v.host_path.path for v in pod.volumes if v.host_path}
        self.assertFalse(FORBIDDEN_HOST_PATHS & set(host_paths.values()), host_paths)
        mounts = {c.name: {host_paths[m.name] for m in c.volume_mounts} for c in pod.containers}
        self.assertEqual(mounts["libvirtwatcher"], {"/var/run/libvirt", "/run/univirt"})
        self.assertEqual(mounts["virtmonitor"], {"/var/run/libvirt", "/run/univirt"})
        for c in pod.containers:
            if c.name == "virtctl":
                continue
            self.assertFalse(c.security_context.privileged, c.name)
            self.assertEqual(c.security_context.capabilities.drop, ["ALL"], c.name)
            self.assertTrue(c.security_context.read_only_root_filesystem, c.name)

    def test_clusterrole_grants_no_secrets_pods_or_wildcards(self):
        role = to_model(self.by_name[("ClusterRole", "univirt-node")])
        for rule in role.rules:
            self.assertNotIn("*", rule.verbs)
            self.assertNotIn("*", rule.resources)
            self.assertFalse({"secrets", "pods", "configmaps"} & set(rule.resources))
        granted = {(g, r, v) for rule in role.rules for g in rule.api_groups
                   for r in rule.resources for v in rule.verbs}
        self.assertIn(("doslab.io", "virtualmachines", "watch"), granted)
        self.assertIn(("events.k8s.io", "events", "create"), granted)
        self.assertNotIn(("", "nodes", "delete"), granted)

    def test_virtmonitor_service_is_scrapable(self):
        svc = to_model(self.by_name[("Service", "virtmonitor")])
        self.assertEqual(svc.metadata.annotations["prometheus.io/port"], "19998")
        self.assertEqual([p.port for p in svc.spec.ports], [19998])

    def test_variables_change_image_and_pull_policy(self):
        text = run([sys.executable, RENDER, "-e", "univirt_image_registry=10.0.0.1:58001/pixiuio",
                    "-e", "ver=v1.0.3.lab", "-e", "univirt_pull_policy=Always",
                    "-e", "univirt_node_os_list=[ubuntu]"]).stdout
        docs = load_docs(text)
        ds = [d for d in docs if d["kind"] == "DaemonSet"]
        self.assertEqual([d["metadata"]["name"] for d in ds], ["virt-tool-ubuntu"])
        c = ds[0]["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(c["image"], "10.0.0.1:58001/pixiuio/univirt:v1.0.3.lab")
        self.assertEqual(c["imagePullPolicy"], "Always")


def _strip_none(value):
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(v) for v in value]
    return value


class ApplyToKubeLiteTest(unittest.TestCase):
    def test_kubectl_applies_the_manifests_to_kube_lite(self):
        binary = BINARY_DIR / "daemons/kube-lite/univirt-kube-lite"
        if not binary.exists():
            self.fail(f"{binary} not built: cmake --build {BINARY_DIR} --target univirt-kube-lite")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            port_file, kubeconfig = tmp / "port", tmp / "kubeconfig"
            log = open(tmp / "kube-lite.log", "wb")  # pylint: disable=consider-using-with
            server = subprocess.Popen(
                [binary, "--data-dir", tmp / "data", "--bind-address", "127.0.0.1", "--port", "0",
                 "--port-file", port_file, "--write-kubeconfig", kubeconfig],
                stdout=log, stderr=log)
            try:
                with timed("kube-lite start"):
                    wait_for(lambda: port_file.exists() and port_file.read_text().strip()
                             and kubeconfig.exists() or server.poll() is not None, 30,
                             "kube-lite to write its port file")
                self.assertIsNone(server.poll(), "kube-lite exited early: " +
                                  (tmp / "kube-lite.log").read_text(errors="replace"))
                kubectl = ["kubectl", "--kubeconfig", kubeconfig]
                run(kubectl + ["create", "namespace", "kube-system"], check=False)
                with timed("kubectl apply"):
                    out = run(kubectl + ["apply", "-f", RENDERED]).stdout
                for obj in ["serviceaccount/univirt", "clusterrole.rbac.authorization.k8s.io/"
                            "univirt-node", "daemonset.apps/virt-tool-centos",
                            "daemonset.apps/virt-tool-ubuntu", "service/virtmonitor"]:
                    self.assertIn(obj, out)
                got = json.loads(run(kubectl + ["get", "daemonset", "-n", "kube-system",
                                                "virt-tool-ubuntu", "-o", "json"]).stdout)
                names = [c["name"] for c in got["spec"]["template"]["spec"]["containers"]]
                self.assertEqual(names, CONTAINERS)
                # Applying again changes nothing (what the playbook's re-run relies on).
                again = run(kubectl + ["apply", "-f", RENDERED]).stdout
                self.assertNotIn("configured", again.replace("unchanged", ""), again)
            finally:
                server.terminate()
                server.wait(timeout=30)
                log.close()


if __name__ == "__main__":
    unittest.main()
