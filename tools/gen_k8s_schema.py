"""Generate domain/k8s_schema.json: the field tables of the Kubernetes types embedded in our manifests.

The catalog must warn about unknown fields inside embedded PodSpecs, affinities, tolerations, ... exactly
as an apiserver with fieldValidation=Warn would. The official client carries those schemas
(`openapi_types` + `attribute_map`), but the domain package must stay free of I/O libraries, so the
tables are generated once into a data file. `tests/domain/test_k8s_schema.py` regenerates and compares,
so a client upgrade cannot silently leave the table stale.

Run: .venv/bin/python tools/gen_k8s_schema.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOTS = [
    "V1PodSpec",
    "V1Affinity",
    "V1NodeSelector",
    "V1PreferredSchedulingTerm",
    "V1PodAffinityTerm",
    "V1WeightedPodAffinityTerm",
    "V1Toleration",
    "V1TopologySpreadConstraint",
    "V1Container",
    "V1SecurityContext",
    "V1PodSecurityContext",
    "V1ResourceRequirements",
    "V1EnvVar",
    "V1LabelSelector",
    "V1OwnerReference",
]
OUT = Path(__file__).resolve().parent.parent / "domain" / "k8s_schema.json"
_CONTAINER = re.compile(r"^(List|Dict)\[(?:str, )?(.+)\]$")


def _type_ref(openapi_type: str) -> str:
    """Translate the client's type string (`List[V1Container]`, `Dict[str, str]`) to ours."""
    m = _CONTAINER.match(openapi_type)
    if m:
        prefix = "[]" if m.group(1) == "List" else "map:"
        return prefix + _type_ref(m.group(2))
    return openapi_type


def build() -> dict[str, Any]:
    """Return the schema table for ROOTS and every type reachable from them."""
    import kubernetes.client as k8s

    types: dict[str, dict[str, str]] = {}
    pending = list(ROOTS)
    while pending:
        name = pending.pop()
        if name in types:
            continue
        cls = getattr(k8s, name)
        fields: dict[str, str] = {}
        for attr, openapi_type in sorted(cls.openapi_types.items()):
            ref = _type_ref(openapi_type)
            fields[cls.attribute_map[attr]] = ref
            inner = ref.removeprefix("[]").removeprefix("map:").removeprefix("[]")
            if hasattr(k8s, inner) and inner not in types:
                pending.append(inner)
        types[name] = fields
    import kubernetes

    return {"generatedFrom": f"kubernetes=={kubernetes.__version__}", "types": dict(sorted(types.items()))}


def render() -> str:
    """The file content, stable across runs."""
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {OUT} ({len(build()['types'])} types)", file=sys.stderr)
