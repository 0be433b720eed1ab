#!/usr/bin/python3
"""python3-kubernetes (Debian 22.6) dynamic client server-side apply against kube-lite.

This is the call Ansible's kubernetes.core.k8s makes with `apply: true` and
`server_side_apply`: DynamicClient.server_side_apply with a JSON body (22.6's REST client only
sends str/bytes bodies for application/apply-patch+yaml), a field manager and force_conflicts.

Usage: server_side_apply.py KUBECONFIG
Exits 0 when every check passed; prints what failed otherwise.
"""
import json
import sys

from kubernetes import config, dynamic
from kubernetes.client import api_client
from kubernetes.client.rest import ApiException


def vm(powerstate, **spec):
    body = {"apiVersion": "doslab.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": "vm1", "namespace": "default", "labels": {"host": "node1"}},
            "spec": {"powerstate": powerstate, "nodeName": "node1"}}
    body["spec"].update(spec)
    return body


def check(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)


def apply(vms, body, manager, force=None):
    return vms.server_side_apply(body=json.dumps(body), name="vm1", namespace="default",
                                 field_manager=manager, force_conflicts=force)


def managers(obj):
    return {(e["manager"], e["operation"]): e["fieldsV1"]
            for e in obj["metadata"].get("managedFields", [])}


def main():
    client = dynamic.DynamicClient(
        api_client.ApiClient(configuration=config.load_kube_config(config_file=sys.argv[1])))
    vms = client.resources.get(api_version="doslab.io/v1", kind="VirtualMachine")

    created = apply(vms, vm("Running", image="debian"), "ansible").to_dict()
    check(created["spec"]["powerstate"] == "Running", "apply creates the object")
    owned = managers(created).get(("ansible", "Apply"), {})
    check("f:image" in owned.get("f:spec", {}), "the applier owns what it applied: %s" % owned)

    again = apply(vms, vm("Running", image="debian"), "ansible").to_dict()
    check(again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"],
          "re-applying the same configuration changes nothing")

    try:
        apply(vms, vm("Shutdown"), "other")
        check(False, "changing a field another manager owns must conflict")
    except ApiException as e:
        check(e.status == 409, "conflict is 409, got %s" % e.status)
        status = json.loads(e.body)
        causes = status["details"]["causes"]
        check([c["field"] for c in causes] == [".spec.powerstate"], "conflict cause: %s" % causes)
        check(causes[0]["reason"] == "FieldManagerConflict", "cause reason")
        check(causes[0]["message"] == 'conflict with "ansible"', "cause message")

    forced = apply(vms, vm("Shutdown"), "other", force=True).to_dict()
    check(forced["spec"]["powerstate"] == "Shutdown", "force applies the change")
    check("f:powerstate" not in managers(forced)[("ansible", "Apply")]["f:spec"],
          "force takes the field from its former owner")

    dropped = apply(vms, vm("Running"), "ansible", force=True).to_dict()
    check("image" not in dropped["spec"], "a field the applier stopped applying is removed")
    print("ok")


if __name__ == "__main__":
    main()
