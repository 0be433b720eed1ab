#!/usr/bin/env python3
"""layer-sizes.py — print the compressed and uncompressed size of each layer of an image in
an OCI layout, and the total, one line each:

  layer 1  sha256:ab12…  58.1 MB compressed  171.3 MB uncompressed  <history created_by>

Usage: layer-sizes.py LAYOUT TAG
"""
import gzip
import json
import os
import sys


def blob(layout, digest):
    algo, hexdigest = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexdigest)


def load(layout, digest):
    with open(blob(layout, digest), encoding="utf-8") as f:
        return json.load(f)


def mb(n):
    return f"{n / 1e6:.1f} MB"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: layer-sizes.py LAYOUT TAG")
    layout, tag = sys.argv[1], sys.argv[2]
    with open(os.path.join(layout, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    refs = [m for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    if not refs:
        sys.exit(f"layer-sizes.py: tag '{tag}' not found in {layout}/index.json")
    manifest = load(layout, refs[0]["digest"])
    config = load(layout, manifest["config"]["digest"])
    history = [h for h in config.get("history", []) if not h.get("empty_layer")]
    diff_ids = config["rootfs"]["diff_ids"]
    total_c = total_u = 0
    for i, layer in enumerate(manifest["layers"]):
        size_c = layer["size"]
        # The manifest holds only the compressed size: measure the other by decompressing.
        size_u = 0
        with gzip.open(blob(layout, layer["digest"]), "rb") as f:
            while chunk := f.read(1 << 20):
                size_u += len(chunk)
        total_c += size_c
        total_u += size_u
        what = history[i].get("created_by", "") if i < len(history) else ""
        print(f"layer {i + 1}  {layer['digest'][:19]}…  {mb(size_c)} compressed  "
              f"{mb(size_u)} uncompressed  {what}")
    assert len(diff_ids) == len(manifest["layers"])
    print(f"image total  {mb(total_c)} compressed  {mb(total_u)} uncompressed  "
          f"({len(manifest['layers'])} layers)")


if __name__ == "__main__":
    main()
