#!/usr/bin/env python3
"""sbom.py — write an SPDX 2.3 JSON SBOM for the univirt image to stdout.

Lists every Debian package of the image's root (from its dpkg status file) and the univirt
package added on top, with name, version, architecture, source package and a purl, so a
scanner can map them to Debian security advisories.

Usage: sbom.py --status FILE --deb FILE.deb --name IMAGE --created TIMESTAMP
"""
import argparse
import hashlib
import json
import re
import subprocess
import sys


def parse_status(text):
    """Yields one dict per installed package of a dpkg status file."""
    for block in text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", block, re.M))
        if "Package" in fields and fields.get("Status", "").endswith(" installed"):
            yield fields


def deb_fields(path):
    out = subprocess.run(["dpkg-deb", "-f", path], check=True, capture_output=True, text=True)
    return dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", out.stdout, re.M))


def spdx_package(fields, supplier):
    name, version = fields["Package"], fields["Version"]
    arch = fields.get("Architecture", "all")
    spdx_id = "SPDXRef-deb-" + re.sub(r"[^A-Za-z0-9.-]", "-", f"{name}-{version}-{arch}")
    source = fields.get("Source", name).split(" ")[0]
    return {
        "SPDXID": spdx_id,
        "name": name,
        "versionInfo": version,
        "supplier": supplier,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "sourceInfo": f"built from Debian source package {source}",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": f"pkg:deb/debian/{name}@{version}?arch={arch}&distro=debian-12",
        }],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--status", required=True)
    ap.add_argument("--deb", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--created", required=True)
    args = ap.parse_args()

    with open(args.status, encoding="utf-8") as f:
        packages = [spdx_package(p, "Organization: Debian") for p in parse_status(f.read())]
    ours = spdx_package(deb_fields(args.deb), "Organization: univirt")
    ours["licenseDeclared"] = "Apache-2.0"
    packages.sort(key=lambda p: p["name"])
    packages.insert(0, ours)
    digest = hashlib.sha256(
        json.dumps([p["SPDXID"] for p in packages]).encode()).hexdigest()[:16]
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": args.name,
        "documentNamespace": f"https://github.com/kubesys/uni-virt/sbom/{args.name}/{digest}",
        "creationInfo": {"created": args.created, "creators": ["Tool: univirt images/sbom.py"]},
        "packages": packages,
        "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT",
                           "relationshipType": "DESCRIBES",
                           "relatedSpdxElement": p["SPDXID"]} for p in packages],
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
