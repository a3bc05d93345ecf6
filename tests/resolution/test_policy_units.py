"""Pure policy pieces, each a table: merges, namespace evaluator, names, pod operations, var strings."""

from __future__ import annotations

from typing import Any

import pytest

from domain.extra_vars import ExtraDeployVariable
from domain.namespaces import NamespaceFilter
from domain.policy import AllowedPodOperations, DebugSessionConstraints
from domain.resolution.constraints import effective_constraints
from domain.resolution.extra_vars import coerce_values, to_var_string
from domain.resolution.namespaces import NamespaceLabelCheck, evaluate_label_checks, filter_matches
from domain.resolution.naming import base36, label_part, session_name
from domain.resolution.pod_operations import allows, merge_pod_operations
from domain.resolution.scheduling import MergeConflict, merge
from domain.scheduling import SchedulingConstraints


def sc(**kw: Any) -> SchedulingConstraints:
    return SchedulingConstraints.model_validate(kw)


MERGE_CASES = [
    (
        "nodeSelector additive",
        sc(nodeSelector={"a": "1"}),
        sc(nodeSelector={"b": "2"}),
        {"nodeSelector": {"a": "1", "b": "2"}},
    ),
    ("nodeSelector same value", sc(nodeSelector={"a": "1"}), sc(nodeSelector={"a": "1"}), {"nodeSelector": {"a": "1"}}),
    (
        "deniedNodeLabels new star upgrades",
        sc(deniedNodeLabels={"z": "a"}),
        sc(deniedNodeLabels={"z": "*"}),
        {"deniedNodeLabels": {"z": "*"}},
    ),
    (
        "deniedNodeLabels existing star kept",
        sc(deniedNodeLabels={"z": "*"}),
        sc(deniedNodeLabels={"z": "a"}),
        {"deniedNodeLabels": {"z": "*"}},
    ),
    ("deniedNodes appended once", sc(deniedNodes=["a"]), sc(deniedNodes=["a", "b"]), {"deniedNodes": ["a", "b"]}),
    (
        "tolerations appended",
        sc(tolerations=[{"key": "a", "operator": "Exists"}]),
        sc(tolerations=[{"key": "b", "operator": "Exists"}]),
        {"tolerations": [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]},
    ),
    (
        "required node affinity is the cross product",
        sc(
            requiredNodeAffinity={
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "a", "operator": "Exists"}]},
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]},
                ]
            }
        ),
        sc(requiredNodeAffinity={"nodeSelectorTerms": [{"matchExpressions": [{"key": "b", "operator": "Exists"}]}]}),
        {
            "requiredNodeAffinity": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]},
                    {
                        "matchExpressions": [{"key": "b", "operator": "Exists"}],
                        "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}],
                    },
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(("base", "extra", "expected"), [pytest.param(b, e, x, id=n) for n, b, e, x in MERGE_CASES])
def test_merge(base: SchedulingConstraints, extra: SchedulingConstraints, expected: dict[str, Any]) -> None:
    merged = merge(base, extra)
    assert merged is not None
    dumped = merged.model_dump(by_alias=True, exclude_defaults=True)
    assert dumped == expected


@pytest.mark.parametrize(
    ("base", "extra", "message"),
    [
        (sc(nodeSelector={"a": "1"}), sc(nodeSelector={"a": "2"}), 'nodeSelector "a" requires both "1" and "2"'),
        (
            sc(deniedNodeLabels={"z": "a"}),
            sc(deniedNodeLabels={"z": "b"}),
            'deniedNodeLabels "z" cannot add both "a" and "b"',
        ),
        (
            sc(requiredNodeAffinity={"nodeSelectorTerms": [{"matchExpressions": []}] * 12}),
            sc(requiredNodeAffinity={"nodeSelectorTerms": [{"matchExpressions": []}] * 11}),
            "requiredNodeAffinity would have 132 terms (more than 128)",
        ),
    ],
)
def test_merge_conflicts(base: SchedulingConstraints, extra: SchedulingConstraints, message: str) -> None:
    with pytest.raises(MergeConflict, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        merge(base, extra)


def test_merge_with_nothing() -> None:
    a = sc(nodeSelector={"a": "1"})
    assert merge(a, None) is a
    assert merge(None, a) == a
    assert merge(None, None) is None


FILTER = NamespaceFilter.model_validate(
    {
        "patterns": ["app-*"],
        "selectorTerms": [
            {"matchLabels": {"debug": "true"}},
            {
                "matchExpressions": [
                    {"key": "env", "operator": "NotIn", "values": ["prod"]},
                    {"key": "tier", "operator": "Exists"},
                ]
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("namespace", "labels", "matches"),
    [
        ("app-x", {}, True),
        ("other", {"debug": "true"}, True),
        ("other", {"debug": "false"}, False),
        ("other", {"tier": "web"}, True),  # NotIn matches when the key is absent
        ("other", {"tier": "web", "env": "prod"}, False),
        ("other", {"env": "dev"}, False),  # Exists tier missing
    ],
)
def test_namespace_filter(namespace: str, labels: dict[str, str], matches: bool) -> None:
    assert filter_matches(FILTER, namespace, labels) is matches


def test_label_checks_fail_closed_and_name_the_filter() -> None:
    checks = (
        NamespaceLabelCheck(kind="allow", source="template 't'", filter=FILTER),
        NamespaceLabelCheck(
            kind="deny",
            source="binding 'b/x'",
            filter=NamespaceFilter(selectorTerms=[{"matchLabels": {"protected": "true"}}]),
        ),
    )
    assert evaluate_label_checks(checks, "ns", {"debug": "true"}) is None
    assert evaluate_label_checks(checks, "ns", {"debug": "true", "protected": "true"}) == (
        "namespace 'ns' is explicitly denied by binding 'b/x' spec.namespaceConstraints.deniedNamespaces (patterns=[], selectorTerms=1)"
    )
    assert evaluate_label_checks(checks, "ns", {}) == (
        "namespace 'ns' is not in the allowed namespaces: template 't' spec.namespaceConstraints.allowedNamespaces (patterns=[app-*], selectorTerms=2) does not match"
    )
    assert evaluate_label_checks(checks, "ns", None, "namespace 'ns' does not exist on cluster 'c'") == (
        "namespace 'ns': template 't' spec.namespaceConstraints.allowedNamespaces (patterns=[app-*], selectorTerms=2) requires namespace labels: namespace 'ns' does not exist on cluster 'c'"
    )


@pytest.mark.parametrize(
    ("user", "cluster", "nanos", "expected"),
    [
        ("alice", "prod-eu", 0, "debug-alice-prod-eu-0"),
        ("Alice.Smith@Example.com", "Prod_EU", 35, "debug-alice-smith-example-com-prod-eu-z"),
        ("debug-session-requester", "tenant-a", 36**12, "debug-debug-session-requester-tenant-a-1000000000000"),
        ("!!!", "???", 1, "debug-x-x-1"),
        # 43 characters of budget: 21 for the user, the odd one to the cluster
        ("a" * 80, "b" * 80, 1764158400000000000, "debug-" + "a" * 21 + "-" + "b" * 22 + "-deilyknvx1c0"),
        # the cluster needs only 5 of its half: the user gets the rest (54 - 5)
        ("a" * 80, "short", 1, "debug-" + "a" * 49 + "-short-1"),
    ],
)
def test_session_name(user: str, cluster: str, nanos: int, expected: str) -> None:
    name = session_name(user, cluster, nanos)
    assert name == expected
    assert len(name) <= 63


def test_name_helpers() -> None:
    assert base36(35) == "z"
    assert base36(36) == "10"
    assert label_part("--A__b--") == "a-b"


OPS_CASES = [
    ("both absent: defaults", None, None, (True, True, False, True)),
    ("template only", {"exec": False, "logs": True}, None, (False, True, True, True)),
    ("binding cannot widen", {"logs": False}, {"logs": True}, (True, True, False, True)),
    ("binding restricts", None, {"exec": False}, (False, True, False, True)),
    ("binding unset fields keep template", {"attach": False}, {"portForward": False}, (True, False, False, False)),
]


@pytest.mark.parametrize(("template", "binding", "expected"), [pytest.param(t, b, e, id=n) for n, t, b, e in OPS_CASES])
def test_pod_operations(
    template: dict[str, bool] | None, binding: dict[str, bool] | None, expected: tuple[bool, ...]
) -> None:
    t = AllowedPodOperations.model_validate(template) if template is not None else None
    b = AllowedPodOperations.model_validate(binding) if binding is not None else None
    ops = merge_pod_operations(t, b)
    assert (ops.exec, ops.attach, ops.logs, ops.port_forward) == expected
    assert allows(ops, "exec") is expected[0]
    assert allows(ops, "log") is expected[2]
    assert allows(ops, "portforward") is expected[3]
    assert allows(ops, "proxy") is False


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (3.0, "3"),
        (2.5, "2.5"),
        (1234567.5, "1.2345675e+06"),
        (0.00001, "1e-05"),
        (["a", "b"], "a,b"),
        ({"k": [1]}, '{"k":[1]}'),
        ([1, 2], "[1,2]"),
    ],
)
def test_var_string(value: Any, text: str) -> None:
    assert to_var_string(value) == text


def test_coercion_by_input_type() -> None:
    variables = [
        ExtraDeployVariable(name="n", inputType="number"),
        ExtraDeployVariable(name="b", inputType="boolean"),
        ExtraDeployVariable(name="t"),
    ]
    assert coerce_values(variables, {"n": "2.5", "b": "T", "t": "1", "x": "1"}) == {
        "n": 2.5,
        "b": True,
        "t": "1",
        "x": "1",
    }
    assert coerce_values(variables, {"n": "abc", "b": "yes"}) == {"n": "abc", "b": "yes"}


CONSTRAINT_CASES = [
    ("nothing: DESIGN defaults", None, None, ("4h", "1h", True, 3)),
    ("template", {"maxDuration": "8h", "defaultDuration": "2h", "maxRenewals": 0}, None, ("8h", "2h", True, 0)),
    (
        "binding overrides what it states",
        {"maxDuration": "8h", "allowRenewal": True},
        {"maxDuration": "2h", "allowRenewal": False},
        ("2h", "1h", False, 3),
    ),
    ("binding may be looser", {"maxDuration": "1h"}, {"maxDuration": "12h"}, ("12h", "1h", True, 3)),
    ("binding zero duration ignored", {"maxDuration": "3h"}, {"maxDuration": "0s"}, ("3h", "1h", True, 3)),
    (
        "binding unstated durations keep the template's",
        {"maxDuration": "3h", "defaultDuration": "2h"},
        {"maxRenewals": 1},
        ("3h", "2h", True, 1),
    ),
]


@pytest.mark.parametrize(
    ("template", "binding", "expected"), [pytest.param(t, b, e, id=n) for n, t, b, e in CONSTRAINT_CASES]
)
def test_effective_constraints(
    template: dict[str, Any] | None, binding: dict[str, Any] | None, expected: tuple[Any, ...]
) -> None:
    t = DebugSessionConstraints.model_validate(template) if template is not None else None
    b = DebugSessionConstraints.model_validate(binding) if binding is not None else None
    c = effective_constraints(t, b)
    assert (c.max_duration, c.default_duration, c.allow_renewal, c.max_renewals) == expected


APPROVER_CASES = [
    ("empty set: nobody", {}, "alice", (), False),
    ("group glob", {"groups": ["sre-*"]}, "bob", ("sre-leads",), True),
    ("user name case-insensitive", {"users": ["Bob"]}, "bob", (), True),
    ("user glob case-sensitive", {"users": ["B*"]}, "bob", (), False),
    ("user by email", {"users": ["bob@example.com"]}, "bob", (), True),
    ("no match", {"users": ["carol"], "groups": ["x"]}, "bob", ("y",), False),
]


@pytest.mark.parametrize(
    ("approvers", "user", "groups", "expected"), [pytest.param(a, u, g, e, id=n) for n, a, u, g, e in APPROVER_CASES]
)
def test_is_approver(approvers: dict[str, Any], user: str, groups: tuple[str, ...], expected: bool) -> None:
    from domain.identity import Identity
    from domain.policy import Approvers
    from domain.resolution.approval import approval_policy, is_approver

    policy = approval_policy(Approvers.model_validate(approvers), "c", ())
    assert is_approver(policy, Identity(username=user, email=f"{user}@example.com", groups=groups)) is expected


@pytest.mark.parametrize(
    ("spec", "active"),
    [
        ({}, True),
        ({"disabled": True}, False),
        ({"expiresAt": "2026-11-26T12:00:00Z"}, False),  # at the instant of expiry it is over
        ({"expiresAt": "2026-11-26T12:00:01Z"}, True),
        ({"effectiveFrom": "2026-11-26T12:00:01Z"}, False),
        ({"effectiveFrom": "2026-11-26T12:00:00Z"}, True),
    ],
)
def test_binding_active_window(spec: dict[str, Any], active: bool) -> None:
    from domain.binding import DebugSessionClusterBinding
    from domain.resolution.access import binding_active
    from tests.resolution.support import NOW

    binding = DebugSessionClusterBinding.model_validate(
        {"metadata": {"name": "b"}, "spec": {"templateRef": {"name": "t"}, "clusters": ["c"], **spec}}
    )
    assert binding_active(binding, NOW) is active
