"""Pod spec construction steps (docs/behaviour/rendering.md#pod-spec): tables of input -> expected spec or error."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from domain.scheduling import SchedulingConstraints
from domain.session_template import DebugSessionTemplateSpec, ResourceQuotaConfig, TerminalSharing
from rendering.documents import classify
from rendering.errors import RenderingError
from rendering.pod_spec import (
    apply_node_selector,
    apply_scheduling,
    apply_template_overrides,
    denial_term,
    enforce_resources,
    wrap_terminal_sharing,
)

C = {"name": "debug", "image": "busybox"}


def sc(**kw: Any) -> SchedulingConstraints:
    return SchedulingConstraints.model_validate(kw)


def test_denial_term_exact_names_and_sorted_labels() -> None:
    term = denial_term(
        sc(
            deniedNodes=["cp-*", "node-b", "node-a"],
            deniedNodeLabels={"zone": "a", "node-role.kubernetes.io/control-plane": "*"},
        )
    )
    assert term == {
        "matchExpressions": [
            {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "NotIn", "values": ["a"]},
        ],
        # the glob cp-* cannot be expressed in node affinity and is left out
        "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-a", "node-b"]}],
    }
    assert denial_term(sc(deniedNodes=["cp-*"])) is None


SCHEDULING_CASES = [
    ("nothing", {"containers": [C]}, None, {"containers": [C]}),
    (
        "constraint nodeSelector wins over the pod's",
        {"containers": [C], "nodeSelector": {"pool": "pod", "disk": "ssd"}},
        sc(nodeSelector={"pool": "mandatory"}),
        {"containers": [C], "nodeSelector": {"pool": "mandatory", "disk": "ssd"}},
    ),
    (
        "tolerations appended",
        {"containers": [C], "tolerations": [{"operator": "Exists"}]},
        sc(tolerations=[{"key": "dedicated", "value": "debug", "effect": "NoSchedule"}]),
        {
            "containers": [C],
            "tolerations": [{"operator": "Exists"}, {"key": "dedicated", "value": "debug", "effect": "NoSchedule"}],
        },
    ),
    (
        "required affinity AND-ed with the pod's, then the denial term",
        {
            "containers": [C],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "pod", "operator": "Exists"}]}]
                    }
                }
            },
        },
        sc(
            requiredNodeAffinity={
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "c1", "operator": "Exists"}]},
                    {"matchExpressions": [{"key": "c2", "operator": "Exists"}]},
                ]
            },
            deniedNodeLabels={"bad": "*"},
        ),
        {
            "containers": [C],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "pod", "operator": "Exists"},
                                    {"key": "c1", "operator": "Exists"},
                                    {"key": "bad", "operator": "DoesNotExist"},
                                ]
                            },
                            {
                                "matchExpressions": [
                                    {"key": "pod", "operator": "Exists"},
                                    {"key": "c2", "operator": "Exists"},
                                    {"key": "bad", "operator": "DoesNotExist"},
                                ]
                            },
                        ]
                    }
                }
            },
        },
    ),
    (
        "denial term alone becomes the required affinity",
        {"containers": [C]},
        sc(deniedNodes=["cp-1"]),
        {
            "containers": [C],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["cp-1"]}]}
                        ]
                    }
                }
            },
        },
    ),
    (
        "preferred, anti-affinity and topology spread appended",
        {"containers": [C]},
        sc(
            preferredNodeAffinity=[
                {"weight": 1, "preference": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}
            ],
            requiredPodAntiAffinity=[
                {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"x": "y"}}}
            ],
            topologySpreadConstraints=[{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}],
        ),
        {
            "containers": [C],
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}
                    ]
                },
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"x": "y"}}}
                    ]
                },
            },
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}],
        },
    ),
]


@pytest.mark.parametrize(
    ("spec", "constraints", "expected"), [pytest.param(s, c, e, id=n) for n, s, c, e in SCHEDULING_CASES]
)
def test_apply_scheduling(
    spec: dict[str, Any], constraints: SchedulingConstraints | None, expected: dict[str, Any]
) -> None:
    spec = copy.deepcopy(spec)
    apply_scheduling(spec, constraints)
    assert spec == expected


def test_overrides_in_reference_order() -> None:
    template = DebugSessionTemplateSpec.model_validate(
        {
            "podOverrides": {"spec": {"hostNetwork": False, "hostPID": True}},
            "affinityOverrides": {"nodeAffinity": {}},
            "additionalTolerations": [{"operator": "Exists"}],
        }
    )
    spec: dict[str, Any] = {
        "containers": [C],
        "hostNetwork": True,
        "affinity": {"podAffinity": {}},
        "tolerations": [{"key": "t"}],
    }
    # the rendered podOverridesTemplate comes first, then the static podOverrides win
    apply_template_overrides(spec, template, {"spec": {"hostIPC": True, "hostNetwork": True, "containers": []}})
    assert spec == {
        "containers": [C],
        "hostNetwork": False,
        "hostPID": True,
        "hostIPC": True,
        "affinity": {"nodeAffinity": {}},
        "tolerations": [{"key": "t"}, {"operator": "Exists"}],
    }
    apply_node_selector(spec, {"pool": "x"})
    assert spec["nodeSelector"] == {"pool": "x"}


QUOTA = ResourceQuotaConfig.model_validate({"maxCPU": "2", "maxMemory": "2Gi"})
FULL = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


@pytest.mark.parametrize(
    ("containers", "quota", "error"),
    [
        ([{"name": "a", "resources": FULL}], QUOTA, None),
        ([{"name": "a"}], QUOTA, "container a is missing resource requests"),
        (
            [{"name": "a", "resources": {"requests": {"cpu": "1"}, "limits": FULL["limits"]}}],
            QUOTA,
            "container a is missing request for memory",
        ),
        ([{"name": "a", "resources": {"requests": FULL["requests"]}}], QUOTA, "container a is missing resource limits"),
        (
            [{"name": "a", "resources": FULL}],
            ResourceQuotaConfig.model_validate({"maxStorage": "1Gi"}),
            "container a is missing request for ephemeral-storage",
        ),
        (
            [{"name": "a"}],
            ResourceQuotaConfig.model_validate(
                {"maxPods": 1, "enforceResourceRequests": False, "enforceResourceLimits": False}
            ),
            None,
        ),
        ([{"name": "a"}], None, None),
    ],
)
def test_resource_enforcement(
    containers: list[dict[str, Any]], quota: ResourceQuotaConfig | None, error: str | None
) -> None:
    spec = {"containers": containers}
    if error is None:
        enforce_resources(spec, quota)
    else:
        with pytest.raises(RenderingError, match=f"^{error}$"):
            enforce_resources(spec, quota)


def test_init_containers_are_enforced_too() -> None:
    with pytest.raises(RenderingError, match=r"^container init is missing resource requests$"):
        enforce_resources(
            {"containers": [{"name": "a", "resources": FULL}], "initContainers": [{"name": "init"}]}, QUOTA
        )


@pytest.mark.parametrize(
    ("provider", "command", "attach"),
    [
        ("tmux", ["tmux", "new-session", "-A", "-s"], "tmux attach-session -t "),
        ("screen", ["screen", "-xRR", "-S"], "screen -x "),
    ],
)
def test_terminal_sharing_wraps_the_first_container(provider: str, command: list[str], attach: str) -> None:
    name = "debug-alice-production-eu-abcdefghijkl"
    spec = {"containers": [{"name": "a", "command": ["sleep"], "args": ["infinity"]}, {"name": "b", "command": ["x"]}]}
    status = wrap_terminal_sharing(spec, TerminalSharing(enabled=True, provider=provider), name)  # type: ignore[arg-type]
    short = name[:32]
    assert spec["containers"][0] == {"name": "a", "command": [*command, short], "args": ["sleep", "infinity"]}
    assert spec["containers"][1] == {"name": "b", "command": ["x"]}
    assert status is not None
    assert (status.session_name, status.attach_command) == (short, attach + short)


def test_terminal_sharing_leaves_a_container_without_command() -> None:
    spec = {"containers": [{"name": "a"}]}
    status = wrap_terminal_sharing(spec, TerminalSharing(enabled=True), "s")
    assert spec == {"containers": [{"name": "a"}]}
    assert status is not None
    assert wrap_terminal_sharing(spec, TerminalSharing(enabled=False), "s") is None


CLASSIFY_ERRORS = [
    ("", "pod template produced no documents"),
    ("---\n---\n", "pod template produced no documents"),
    ("hostNetwork: true\n", "pod template produced a PodSpec with no containers: {'hostNetwork': True}"),
    (
        "apiVersion: v2\nkind: Pod\nspec: {containers: [{name: a}]}\n",
        'unsupported apiVersion "v2" for kind Pod: expected v1',
    ),
    ("apiVersion: v1\nkind: Deployment\n", 'unsupported apiVersion "v1" for kind Deployment: expected apps/v1'),
    (
        "apiVersion: v1\nkind: Service\n",
        'unsupported manifest kind "Service" (apiVersion "v1") in templateString: only bare PodSpec, Pod (v1), Deployment (apps/v1), and DaemonSet (apps/v1) are supported',
    ),
    (
        "containers: [{name: a}]\n---\nkind: ConfigMap\n",
        "document 2 is not a valid Kubernetes resource (missing apiVersion or kind)",
    ),
]


@pytest.mark.parametrize(("text", "message"), CLASSIFY_ERRORS)
def test_classify_errors(text: str, message: str) -> None:
    with pytest.raises(RenderingError) as info:
        classify(text)
    assert str(info.value) == message


def test_classify_pod_manifest_and_extras() -> None:
    out = classify(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\n  annotations: {c: d}\nspec:\n  containers: [{name: x}]\n"
        "---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n"
    )
    assert out.pod_spec == {"containers": [{"name": "x"}]}
    assert (out.pod_labels, out.pod_annotations) == ({"a": "b"}, {"c": "d"})
    assert out.extras == [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}}]
    assert out.workload is None
