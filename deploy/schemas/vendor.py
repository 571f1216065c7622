#!/usr/bin/env python3
"""Vendors the schemas of custom resources from CRD files, so `make deploy-check` validates offline.

    python deploy/schemas/vendor.py CRD.yaml…    # writes deploy/schemas/<group>/<kind>-<version>.json

Each served version's `openAPIV3Schema` is written as it is; deploy/k8s/validate.py makes it strict
(unknown fields refused) when it loads it. README.md beside this file names the source and version of each.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).parent


def vendor(crd_file: Path) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(crd_file.read_text(encoding="utf-8")):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served"):
                continue
            path = HERE / group / f"{kind.lower()}-{version['name']}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            schema = version["schema"]["openAPIV3Schema"]
            path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for name in sys.argv[1:]:
        for path in vendor(Path(name)):
            print(path)
