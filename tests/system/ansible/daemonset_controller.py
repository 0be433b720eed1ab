"""FakeDaemonSetController: plays kube-controller-manager's DaemonSet controller for kube-lite,
which runs no controllers. Whenever a DaemonSet's generation is ahead of its
status.observedGeneration it writes the status a finished rollout has: every node matching the
nodeSelector scheduled, updated, ready and available. The rollout waits of the playbooks
(kubernetes.core.k8s wait: true) therefore finish only after this helper saw the new spec.

Event driven: a watch on DaemonSets (real python3-kubernetes client against kube-lite)."""
import threading

import kubernetes


class FakeDaemonSetController:
    def __init__(self, kubeconfig):
        self.client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
        self.apps = kubernetes.client.AppsV1Api(self.client)
        self.core = kubernetes.client.CoreV1Api(self.client)
        self.rollouts = []  # (name, generation, nodes) per status written
        self.errors = []
        self._stop = threading.Event()
        self._watch = kubernetes.watch.Watch()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                for event in self._watch.stream(self.apps.list_daemon_set_for_all_namespaces,
                                                timeout_seconds=5):
                    if self._stop.is_set():
                        return
                    if event["type"] in ("ADDED", "MODIFIED"):
                        self._reconcile(event["object"])
            except Exception as err:  # noqa: BLE001 - keep serving; the test reports errors
                if not self._stop.is_set():
                    self.errors.append(repr(err))

    def _matching_nodes(self, selector):
        labels = ",".join(f"{k}={v}" if v else k for k, v in (selector or {}).items())
        return len(self.core.list_node(label_selector=labels).items)

    def _reconcile(self, ds):
        generation = ds.metadata.generation
        if ds.status and ds.status.observed_generation == generation:
            return
        nodes = self._matching_nodes(ds.spec.template.spec.node_selector)
        body = {"status": {
            "observedGeneration": generation, "desiredNumberScheduled": nodes,
            "currentNumberScheduled": nodes, "updatedNumberScheduled": nodes,
            "numberReady": nodes, "numberAvailable": nodes, "numberMisscheduled": 0}}
        self.apps.patch_namespaced_daemon_set_status(ds.metadata.name, ds.metadata.namespace,
                                                     body)
        self.rollouts.append((ds.metadata.name, generation, nodes))

    def close(self):
        self._stop.set()
        self._watch.stop()
        self._thread.join(timeout=10)
