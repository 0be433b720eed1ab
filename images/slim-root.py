#!/usr/bin/env python3
"""slim-root.py — copy a Debian root filesystem tarball keeping only what the given packages
need at run time: the packages themselves, their Depends/Pre-Depends closure, base-files
and every file no package owns (/etc/passwd, /etc/group, the /usr-merge symlinks, ...).
The essential tools nothing depends on (shells, coreutils, dpkg, perl) are dropped, and
/var/lib/dpkg/status is rewritten to list only the kept packages, so scanners and the SBOM
see exactly what is in the image.

Usage: slim-root.py INPUT.tar OUTPUT.tar PACKAGE...

Prints the kept and dropped package counts and sizes to stderr.
"""
import io
import re
import sys
import tarfile

KEEP_ALWAYS = ["base-files", "netbase", "tzdata", "ca-certificates"]


def parse_status(text):
    packages = {}
    for block in text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", block, re.M))
        if "Package" in fields and fields.get("Status", "").endswith(" installed"):
            packages[fields["Package"]] = (fields, block.strip("\n"))
    return packages


def closure(packages, wanted):
    provides = {}
    for name, (fields, _) in packages.items():
        for item in fields.get("Provides", "").split(","):
            item = re.sub(r"\(.*\)", "", item).strip()
            if item:
                provides.setdefault(item, []).append(name)
    keep, todo = set(), [w for w in wanted if w in packages]
    missing = [w for w in wanted if w not in packages and w not in provides]
    if missing:
        sys.exit(f"slim-root.py: packages not in the root: {', '.join(missing)}")
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        fields = packages[name][0]
        relations = ",".join(fields.get(k, "") for k in ("Pre-Depends", "Depends"))
        for group in relations.split(","):
            if not group.strip():
                continue
            # First alternative that is installed (what apt chose), by name or via Provides.
            for alt in group.split("|"):
                alt = re.sub(r"\(.*\)|:any|:native", "", alt).strip()
                candidates = [alt] if alt in packages else provides.get(alt, [])
                if candidates:
                    todo.extend(candidates)
                    break
    return keep


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip())
    source, target, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tarfile.open(source) as tar:
        members = tar.getmembers()
        status_text = tar.extractfile("./var/lib/dpkg/status").read().decode()
        packages = parse_status(status_text)
        keep = closure(packages, wanted + [k for k in KEEP_ALWAYS if k in packages])
        owners = {}
        for m in members:
            match = re.match(r"\./var/lib/dpkg/info/([^:/]+)(?::[a-z0-9]+)?\.list$", m.name)
            if match:
                for line in tar.extractfile(m).read().decode().splitlines():
                    # Merged /usr: dpkg lists /bin/bash, the tar holds ./usr/bin/bash.
                    merged = re.sub(r"^/(bin|sbin|lib|lib32|lib64|libx32)/", r"/usr/\1/", line)
                    for path in {line, merged}:
                        owners.setdefault("." + path, set()).add(match.group(1))
        dropped = set(packages) - keep
        new_status = "\n\n".join(packages[n][1] for n in sorted(keep)) + "\n"
        kept_size = sum(int(packages[n][0].get("Installed-Size", 0)) for n in keep)
        dropped_size = sum(int(packages[n][0].get("Installed-Size", 0)) for n in dropped)
        with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as out:
            for m in members:
                if m.name == "./var/lib/dpkg/status":
                    data = new_status.encode()
                    m.size = len(data)
                    out.addfile(m, io.BytesIO(data))
                    continue
                info = re.match(r"\./var/lib/dpkg/info/([^:/.]+)", m.name)
                if info and info.group(1) in dropped:
                    continue
                owned_by = owners.get(m.name)
                if owned_by and not m.isdir() and not owned_by & keep:
                    continue
                out.addfile(m, tar.extractfile(m) if m.isfile() else None)
    print(f"slim-root.py: kept {len(keep)} packages ({kept_size} KiB), dropped {len(dropped)} "
          f"({dropped_size} KiB): {' '.join(sorted(dropped))}", file=sys.stderr)


if __name__ == "__main__":
    main()
