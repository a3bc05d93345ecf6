"""Every pod template and auxiliary resource of the spec's examples renders to a checked-in golden file.

The session context is fixed (the minimal-debug snapshot of tests/golden/resolution, i.e. session
`debug-dave-dev-1-dn54jf28iyo0` on cluster `dev-1`, target namespace `breakglass-debug`, at
2026-11-26T12:00:00Z). Each golden file starts with comments saying why its output is what Go's
text/template would produce. Regenerate after a reviewed change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from domain.auxiliary import AuxiliaryResource
from domain.pod_template import DebugPodTemplateSpec
from domain.resolution.resolved import ResolvedSession
from rendering.plan import build_plan
from tests.conftest import EXAMPLES, REPO
from tests.rendering.test_plan import snapshot

GOLDEN = REPO / "tests" / "golden" / "render"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
VARS = {"storageClass": "fast", "hostNetwork": "true", "createPVC": "true"}

# Why each output is right, by Go text/template semantics (written into the golden file's header).
WHY: dict[str, list[str]] = {
    "04-debugpodtemplate-structured": [
        "structured template: no template actions; copied as is (restartPolicy forced to Always)"
    ],
    "05-debugpodtemplate-templatestring": [
        "trunc 15 keeps the first 15 characters of the session name: debug-dave-dev-",
        '.vars.image is a missing key: Go yields a nil interface value, which `default "alpine:latest"` treats as empty',
        'quote wraps in double quotes; hostNetwork is the string "true" so `eq .vars.hostNetwork "true"` is true',
        "{{- trims the newline before the if, so hostNetwork: true follows the resources block directly",
    ],
    "06-podtemplate-multidoc-pvc": [
        "trunc 20 of the session name; the second document (PVC) becomes a pod-template resource",
        "storageClass comes from vars (fast), pvcSize falls back to the default 10Gi",
    ],
    "07-podtemplate-multidoc-configmap-secret": [
        "the ConfigMap and Secret documents are stamped with the session labels and the source-session annotation",
        "apiToken is not a var: default gives default-token",
    ],
    "08-podtemplate-conditional-resources": [
        'createPVC is "true": the if keeps the PVC document; {{- trims the preceding newline'
    ],
    "12-podtemplate-coredump-collector": ["structured template (apiVersion added to the page's manifest)"],
    "14-podtemplate-storage-tester": ["structured template (apiVersion added to the page's manifest)"],
    "27-auxiliary-resources": [
        "structured auxiliary template: string fields holding actions are rendered one by one",
        "the capitalised context resolves: .Session.Name and .Session.Spec.TargetNamespace (DESIGN decision 9)",
    ],
    "28-auxiliary-multidoc-templatestring": [
        "three documents; .Target.Namespace is the resolved deploy namespace",
        "each document gets the auxiliary-resource label and the created-by/source-session annotations",
    ],
    "43-sample-minimal-debug": ["structured template"],
    "44-sample-network-debug": ["structured template; hostNetwork/hostPID kept"],
    "46-sample-hybrid-debug": ["structured template"],
}


def _docs(name: str) -> list[Any]:
    return [d for d in yaml.safe_load_all((EXAMPLES / f"{name}.yaml").read_text()) if d]


def _pod_template(name: str) -> DebugPodTemplateSpec:
    doc = next(d for d in _docs(name) if d.get("kind", "DebugPodTemplate") == "DebugPodTemplate")
    spec = doc["spec"] if "kind" in doc else doc
    if name.startswith("08"):
        spec = {"templateString": doc["templateString"]}
    return DebugPodTemplateSpec.model_validate(spec)


def _session_for(name: str) -> ResolvedSession:
    base = snapshot("minimal-debug")
    base = base.model_copy(update={"vars": dict(VARS)})
    if name.startswith(("27", "28")):
        (doc,) = _docs(name)
        aux = [AuxiliaryResource.model_validate(a) for a in doc["spec"]["auxiliaryResources"]]
        template = base.template.model_copy(update={"auxiliary_resources": aux})
        return base.model_copy(update={"template": template, "enabled_auxiliary_resources": tuple(a.name for a in aux)})
    return base.model_copy(update={"pod_template": _pod_template(name), "pod_template_name": "example"})


def _render(name: str) -> str:
    plan = build_plan(_session_for(name), NOW)
    header = [
        f"# Rendered from ../shared/spec/examples/{name}.yaml for the fixed session context of",
        "# tests/rendering/test_render_examples.py. Why:",
    ]
    header += [f"# - {line}" for line in WHY[name]]
    body = [
        f"---\n# step: {o.step}, source: {o.source}\n" + yaml.safe_dump(o.manifest, sort_keys=False)
        for o in plan.objects
    ]
    return "\n".join(header) + "\n" + "".join(body)


@pytest.mark.parametrize("name", sorted(WHY))
def test_example_renders_to_golden(name: str) -> None:
    text = _render(name)
    path = GOLDEN / f"{name}.yaml"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{path.name} differs; review and regenerate with UPDATE_GOLDEN=1"


def test_golden_render_files_have_no_strays() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.yaml")) == sorted(WHY)


def test_every_templated_example_is_covered() -> None:
    """Each example holding a pod template or auxiliary resource has a golden file (29 is a placeholder)."""
    holders = set()
    for path in EXAMPLES.glob("*.yaml"):
        text = path.read_text()
        if "kind: DebugPodTemplate" in text or "templateString" in text or "auxiliaryResources" in text:
            holders.add(path.stem)
    assert holders - set(WHY) == {"29-auxiliary-failure-policy"}
