#!/usr/bin/python3
"""python3-kubernetes (Debian 22.6) against kube-lite: CustomObjectsApi and watch.Watch.

Usage: custom_objects.py KUBECONFIG SCENARIO   (scenarios: crud, watch, expired, namespaces)
Exits 0 when every check passed; prints what failed otherwise.
"""
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

GROUP, VERSION, NS, PLURAL = "doslab.io", "v1", "default", "virtualmachines"


def vm(name, powerstate="Running"):
    return {"apiVersion": "doslab.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": name, "labels": {"host": "node1"}},
            "spec": {"powerstate": powerstate, "nodeName": "node1"}}


def check(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)


def crud(api):
    created = api.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, vm("vm1"))
    check(created["metadata"]["namespace"] == NS, "create fills the namespace")
    items = api.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)["items"]
    check([i["metadata"]["name"] for i in items] == ["vm1"], "list returns vm1")
    got = api.get_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1")
    got["spec"]["powerstate"] = "Shutdown"
    replaced = api.replace_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1", got)
    check(replaced["spec"]["powerstate"] == "Shutdown", "replace")
    try:
        api.replace_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1", got)
        check(False, "stale replace must fail")
    except ApiException as e:
        check(e.status == 409, "stale replace is 409, got %s" % e.status)
    patched = api.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1",
                                                 {"spec": {"powerstate": "Paused"}})
    check(patched["spec"]["powerstate"] == "Paused", "merge patch")
    # 22.6 sends every custom-object patch as merge-patch+json (even a list body), so JSON
    # patch is covered by the kubectl suite instead.
    try:
        api.patch_namespaced_custom_object_status(GROUP, VERSION, NS, PLURAL, "vm1",
                                                  {"status": {"x": 1}})
        check(False, "status patch without the subresource must fail")
    except ApiException as e:
        check(e.status == 404, "status without subresource is 404, got %s" % e.status)
    try:
        api.get_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "nope")
        check(False, "get of a missing object must fail")
    except ApiException as e:
        check(e.status == 404, "missing object is 404")
    api.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1")
    items = api.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)["items"]
    check(items == [], "delete removes vm1")


def watching(api):
    api.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, vm("vm1"))
    rv = api.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)["metadata"]["resourceVersion"]
    api.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1",
                                       {"spec": {"powerstate": "Paused"}})
    api.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "vm1")
    seen = []
    bookmarks = 0
    w = watch.Watch()
    for event in w.stream(api.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL,
                          resource_version=rv, timeout_seconds=2, allow_watch_bookmarks=True):
        if event["type"] == "BOOKMARK":
            bookmarks += 1
            continue
        seen.append((event["type"], event["object"]["spec"]["powerstate"]))
    check(seen == [("MODIFIED", "Paused"), ("DELETED", "Paused")], "watch events %s" % seen)
    check(bookmarks >= 1, "bookmarks were yielded")
    # From scratch (no RV): the initial state arrives as ADDED.
    api.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, vm("vm2"))
    w = watch.Watch()
    first = next(iter(w.stream(api.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL,
                               timeout_seconds=2)))
    w.stop()
    check(first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "vm2", "initial ADDED")


def expired(api):
    rv = api.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)["metadata"]["resourceVersion"]
    for i in range(10):  # more than the server's --watch-history
        api.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, vm("vm%d" % i))
    try:
        for _ in watch.Watch().stream(api.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL,
                                      resource_version=rv, timeout_seconds=2):
            pass
        check(False, "a too old resourceVersion must raise")
    except ApiException as e:
        check(e.status == 410, "expired watch raises 410, got %s" % e.status)


def namespaces(_):
    core = client.CoreV1Api()
    names = [n.metadata.name for n in core.list_namespace().items]
    check("default" in names and "kube-system" in names, "namespaces %s" % names)


def main():
    config.load_kube_config(config_file=sys.argv[1])
    api = client.CustomObjectsApi()
    {"crud": crud, "watch": watching, "expired": expired, "namespaces": namespaces}[sys.argv[2]](api)
    print("ok")


if __name__ == "__main__":
    main()
