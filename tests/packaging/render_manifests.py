#!/usr/bin/env python3
"""render_manifests.py — render ansible/roles/deploy/templates/virt-tool.yaml.j2 the way
Ansible's template module does (Jinja2, trim_blocks), for kubectl apply without Ansible.

Usage:
  render_manifests.py [-e NAME=VALUE]... [--output FILE]   render (default: stdout)
  render_manifests.py --update                              rewrite virt-tool.rendered.yaml
  render_manifests.py --check                               exit 1 when that copy is stale
"""
import argparse
import pathlib
import sys

import jinja2

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE_DIR = SOURCE_DIR / "ansible" / "roles" / "deploy" / "templates"
TEMPLATE = "virt-tool.yaml.j2"
RENDERED = TEMPLATE_DIR / "virt-tool.rendered.yaml"


def render(variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                             trim_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    # StrictUndefined except for the optional variables, which the template defaults.
    optional = ["univirt_image_registry", "univirt_image_name", "univirt_version", "ver",
                "univirt_pull_policy", "univirt_namespace", "univirt_node_os_list"]
    context = {name: jinja2.Undefined(name=name) for name in optional}
    context.update(variables)
    text = env.get_template(TEMPLATE).render(**context)
    return text if text.endswith("\n") else text + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-e", action="append", default=[], metavar="NAME=VALUE",
                    help="template variable (a value starting with '[' is a YAML list)")
    ap.add_argument("--output")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--update", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = ap.parse_args()
    variables = {}
    for item in args.e:
        name, sep, value = item.partition("=")
        if not sep:
            ap.error(f"-e takes NAME=VALUE, got '{item}'")
        if value.startswith("["):
            import yaml
            value = yaml.safe_load(value)
        variables[name] = value
    text = render(variables)
    if args.check:
        if RENDERED.read_text(encoding="utf-8") != text:
            print(f"{RENDERED} is stale: run {sys.argv[0]} --update", file=sys.stderr)
            return 1
        return 0
    out = RENDERED if args.update else args.output
    if out:
        pathlib.Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
