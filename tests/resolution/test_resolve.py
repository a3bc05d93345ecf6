"""The create pipeline, table-driven: each case asserts the outcome and the exact message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.identity import Identity
from domain.resolution.errors import AdmissionError
from domain.resolution.request import CreateSessionRequest
from domain.resolution.resolve import OpenSessionCounts, Resolution, resolve_session, sanitize_reason
from tests.resolution.support import NOW, WORLD, catalog_from, who

CATALOG = catalog_from(WORLD)
SRE = who("alice", "sre")
SRE_PROD = who("alice", "sre", "sre-prod")


def resolve(caller: Identity, open_sessions: dict[str, OpenSessionCounts] | None = None, **req: Any) -> Resolution:
    request = CreateSessionRequest.model_validate(req)
    return resolve_session(
        CATALOG, caller, request, NOW, open_sessions=open_sessions, unready_clusters=frozenset({"unready"})
    )


ERROR_CASES = [
    ("templateRef required", SRE, {"cluster": "dev-1"}, 400, "templateRef is required"),
    ("cluster required", SRE, {"templateRef": "basic"}, 400, "cluster is required"),
    (
        "namespace alias must match",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "namespace": "a", "targetNamespace": "b"},
        400,
        "namespace is deprecated alias for targetNamespace and must match targetNamespace when both are set",
    ),
    (
        "unauthenticated",
        Identity(username=" "),
        {"templateRef": "basic", "cluster": "dev-1"},
        401,
        "user not authenticated",
    ),
    ("unknown template", SRE, {"templateRef": "nope", "cluster": "dev-1"}, 400, "template 'nope' not found"),
    (
        "caller on no allowlist",
        who("eve", "x"),
        {"templateRef": "basic", "cluster": "dev-1"},
        403,
        "user is not allowed to request this debug session",
    ),
    (
        "cluster not allowed, patterns shown to a template-allowed caller",
        SRE,
        {"templateRef": "basic", "cluster": "prod-eu"},
        403,
        "cluster 'prod-eu' is not allowed by template 'basic'. Template cluster patterns: [staging-* dev-*]. No bindings grant access to this cluster.",
    ),
    (
        "template without cluster patterns and no covering binding",
        SRE,
        {"templateRef": "bound", "cluster": "lab"},
        403,
        "cluster 'lab' is not allowed. Template 'bound' has no allowed cluster patterns and no bindings grant access to this cluster.",
    ),
    (
        "covering binding does not admit the caller",
        SRE,
        {"templateRef": "bound", "cluster": "prod-eu"},
        403,
        "user is not allowed to request this debug session",
    ),
    (
        "ambiguous tenant alias",
        SRE,
        {"templateRef": "open", "cluster": "dev"},
        403,
        "cluster 'dev' matches multiple ClusterConfig tenants",
    ),
    (
        "unknown cluster",
        SRE,
        {"templateRef": "open", "cluster": "mars"},
        403,
        "cluster 'mars' is not configured for debug sessions",
    ),
    (
        "unknown cluster (glob-allowed name)",
        SRE,
        {"templateRef": "basic", "cluster": "dev-9"},
        403,
        "cluster 'dev-9' is not configured for debug sessions",
    ),
    (
        "duration above max",
        SRE,
        {"templateRef": "basic", "cluster": "staging-1", "requestedDuration": "5h"},
        400,
        "requestedDuration 5h exceeds maximum duration 4h",
    ),
    (
        "binding max applies though the template allows more",
        SRE_PROD,
        {"templateRef": "bound", "cluster": "prod-eu", "requestedDuration": "3h"},
        400,
        "requestedDuration 3h exceeds maximum duration 2h",
    ),
    (
        "invalid duration",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "requestedDuration": "soon"},
        400,
        'invalid requestedDuration: invalid duration "soon": expected <number><unit> with unit one of ns, us, ms, s, m, h (or a leading <N>d)',
    ),
    (
        "non-positive duration",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "requestedDuration": "0s"},
        400,
        "requestedDuration must be positive",
    ),
    (
        "decimal duration refused cleanly (the reference 500s)",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "requestedDuration": "1.5h"},
        400,
        'invalid requestedDuration: "1.5h" must use whole numbers with units ns, us, ms, s, m, h, d (e.g. "90m", "1h30m")',
    ),
    (
        "reason too short",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "reason": "short"},
        400,
        "reason must be at least 10 characters",
    ),
    (
        "reason too long",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "reason": "x" * 41},
        400,
        "reason must be at most 40 characters",
    ),
    (
        "mandatory reason from the binding",
        SRE,
        {"templateRef": "bound", "cluster": "dev-1", "reason": "::"},
        400,
        "missing required request reason",
    ),
    (
        "namespace denied by pattern",
        SRE,
        {
            "templateRef": "bound",
            "cluster": "dev-1",
            "reason": "investigating an incident",
            "targetNamespace": "debug-secrets",
        },
        400,
        "namespace 'debug-secrets' is explicitly denied by template 'bound' spec.namespaceConstraints.deniedNamespaces (patterns=[debug-secret*], selectorTerms=1)",
    ),
    (
        "namespace not matching allowed patterns (no selector terms on the binding side)",
        SRE,
        {"templateRef": "open", "cluster": "dev-1", "targetNamespace": "other"},
        400,
        "namespace 'other' is not in the allowed namespaces: no namespaceConstraints.allowedNamespaces is configured, so only defaultNamespace 'open-ns' is allowed",
    ),
    (
        "user namespace not allowed",
        SRE,
        {"templateRef": "fixed-ns", "cluster": "dev-1", "targetNamespace": "mine"},
        400,
        "template 'fixed-ns' does not allow user-specified namespaces: namespaceConstraints.allowUserNamespace=false, only defaultNamespace 'fixed' may be used",
    ),
    (
        "user namespace denied",
        SRE,
        {"templateRef": "deny-ns", "cluster": "dev-1", "targetNamespace": "mine"},
        400,
        "template 'deny-ns' does not allow user-specified namespaces: namespaceConstraints.denyUserNamespace=true, only defaultNamespace 'fixed' may be used",
    ),
    (
        "unknown scheduling option",
        SRE,
        {
            "templateRef": "bound",
            "cluster": "dev-1",
            "reason": "investigating an incident",
            "selectedSchedulingOption": "gpu",
        },
        400,
        "scheduling option 'gpu' not found in template or binding",
    ),
    (
        "scheduling option forbidden",
        SRE,
        {
            "templateRef": "bound",
            "cluster": "dev-1",
            "reason": "investigating an incident",
            "selectedSchedulingOption": "sriov",
        },
        403,
        "user is not allowed to select scheduling option 'sriov'",
    ),
    (
        "scheduling option conflicts with mandatory constraints",
        SRE,
        {
            "templateRef": "bound",
            "cluster": "dev-1",
            "reason": "investigating an incident",
            "selectedSchedulingOption": "clash",
        },
        400,
        'scheduling option "clash" conflicts with mandatory constraints: nodeSelector "pool" requires both "general" and "gpu"',
    ),
    (
        "binding constraints conflict with template constraints",
        who("alice", "sre"),
        {"templateRef": "bound", "cluster": "staging-1"},
        400,
        'binding scheduling constraints conflict with template constraints: nodeSelector "pool" requires both "general" and "other"',
    ),
    (
        "per-user session limit",
        SRE_PROD,
        {"templateRef": "bound", "cluster": "prod-eu", "_open": OpenSessionCounts(mine=1, total=1)},
        403,
        "session limit reached: maximum 1 active sessions per user allowed via this binding",
    ),
    (
        "total session limit",
        SRE_PROD,
        {"templateRef": "bound", "cluster": "prod-eu", "_open": OpenSessionCounts(mine=0, total=3)},
        403,
        "session limit reached: maximum 3 total active sessions allowed via this binding",
    ),
    (
        "bindingRef malformed",
        SRE,
        {"templateRef": "bound", "cluster": "prod-eu", "bindingRef": "nope"},
        400,
        "bindingRef must use namespace/name format",
    ),
    (
        "bindingRef malformed, caller hidden",
        who("eve", "x"),
        {"templateRef": "bound", "cluster": "prod-eu", "bindingRef": "nope"},
        403,
        "user is not allowed to request this debug session",
    ),
    (
        "bindingRef not found",
        SRE,
        {"templateRef": "bound", "cluster": "prod-eu", "bindingRef": "breakglass/nope"},
        400,
        "binding 'breakglass/nope' not found",
    ),
    (
        "bindingRef inactive",
        SRE,
        {"templateRef": "bound", "cluster": "lab", "bindingRef": "breakglass/lab-off"},
        403,
        "binding is not active (disabled, expired, or not yet effective)",
    ),
    (
        "bindingRef wrong template",
        SRE,
        {"templateRef": "basic", "cluster": "dev-1", "bindingRef": "breakglass/dev-all"},
        403,
        "binding does not grant access to the requested template",
    ),
    (
        "bindingRef wrong cluster",
        SRE_PROD,
        {"templateRef": "bound", "cluster": "dev-1", "bindingRef": "breakglass/sre-prod"},
        403,
        "binding does not grant access to the requested cluster",
    ),
    (
        "bindingRef wrong cluster, hidden from a caller the binding does not admit",
        SRE,
        {"templateRef": "bound", "cluster": "dev-1", "bindingRef": "breakglass/sre-prod"},
        403,
        "user is not allowed to request this debug session",
    ),
]

ERROR_CASES = [c for c in ERROR_CASES if c[4] is not None]


@pytest.mark.parametrize(("caller", "req", "status", "message"), [pytest.param(*c[1:], id=c[0]) for c in ERROR_CASES])
def test_admission_errors(caller: Identity, req: dict[str, Any], status: int, message: str) -> None:
    req = dict(req)
    counts = req.pop("_open", None)
    open_sessions = {"breakglass/sre-prod": counts} if counts else None
    with pytest.raises(AdmissionError) as info:
        resolve(caller, open_sessions, **req)
    assert (info.value.status, info.value.message) == (status, message)


def test_cluster_patterns_hidden_from_caller_not_on_template_allowlist() -> None:
    # olga is admitted only by the sre-prod binding (on prod-eu); for another cluster she must not learn
    # the template's cluster patterns.
    world = WORLD.replace("allowed: {groups: [sre-prod]}", "allowed: {groups: [oncall]}")
    world = world.replace("metadata: {name: basic}\nspec:", "metadata: {name: basic, labels: {team: sre}}\nspec:")
    world = world.replace(
        "templateRef: {name: bound}\n  clusters: [prod-eu]", "templateRef: {name: basic}\n  clusters: [prod-eu]"
    )
    catalog = catalog_from(world)
    with pytest.raises(AdmissionError) as info:
        resolve_session(catalog, who("olga", "oncall"), CreateSessionRequest(template_ref="basic", cluster="lab"), NOW)
    assert (info.value.status, info.value.message) == (
        403,
        "cluster 'lab' is not allowed by template 'basic'. No bindings grant access to this cluster.",
    )


def test_unready_cluster() -> None:
    world = WORLD + "\n---\nkind: ClusterConfig\nmetadata: {name: dev-unready}\nspec: {kubeconfig: {path: /k}}\n"
    catalog = catalog_from(world)
    with pytest.raises(AdmissionError) as info:
        resolve_session(
            catalog,
            SRE,
            CreateSessionRequest(template_ref="basic", cluster="dev-unready"),
            NOW,
            unready_clusters=frozenset({"dev-unready"}),
        )
    assert (info.value.status, info.value.message) == (403, "cluster 'dev-unready' is not ready for debug sessions")


# --- successful resolutions ----------------------------------------------------------------------


def test_template_cluster_pattern_without_binding() -> None:
    r = resolve(SRE, templateRef="basic", cluster="staging-1", reason="  Node is on fire: see #123  ")
    s = r.session
    assert s.binding is None
    assert s.cluster.name == "staging-1"
    assert s.reason == "Node is on fire see 123"
    assert s.duration == timedelta(hours=1)
    assert s.approval.required is True
    assert s.approval.approver_groups == ("sre-leads",)
    assert s.target.namespace == "breakglass-debug"
    assert r.warnings == ["Target namespace defaulted to 'breakglass-debug'"]
    assert s.name.startswith("debug-alice-staging-1-")
    assert len(s.name) <= 63
    assert s.labels == {
        "breakglass.telekom.com/debug-session": s.name,
        "breakglass.telekom.com/debug-template": "basic",
        "breakglass.telekom.com/debug-cluster": "staging-1",
    }


def test_without_namespace_constraints_any_requested_namespace_is_accepted() -> None:
    # Reference quirk, kept: a template without namespaceConstraints accepts any namespace.
    r = resolve(SRE, templateRef="basic", cluster="dev-1", targetNamespace="mine")
    assert r.session.target.namespace == "mine"
    assert r.warnings == []


def test_default_namespace_may_always_be_requested() -> None:
    r = resolve(SRE, templateRef="fixed-ns", cluster="dev-1", targetNamespace="fixed")
    assert r.session.target.namespace == "fixed"
    assert r.warnings == []


def test_auto_approve_by_cluster() -> None:
    s = resolve(SRE, templateRef="basic", cluster="dev-1").session
    assert s.approval.required is False
    assert s.approval.reason == "auto-approved: cluster 'dev-1' matches autoApproveFor.clusters 'dev-*'"


def test_auto_approve_by_group() -> None:
    s = resolve(who("lead", "sre", "sre-leads"), templateRef="basic", cluster="staging-1").session
    assert s.approval.required is False
    assert s.approval.reason == "auto-approved: requester is in autoApproveFor group 'sre-leads'"


def test_auto_approve_group_match_is_exact_not_glob() -> None:
    s = resolve(who("lead", "sre", "sre-leads-2"), templateRef="basic", cluster="staging-1").session
    assert s.approval.required is True


def test_empty_binding_approver_set_means_auto_approve() -> None:
    s = resolve(SRE, templateRef="bound", cluster="dev-1", reason="investigating an incident").session
    assert s.binding is not None
    assert s.binding.ref == "breakglass/dev-all"
    assert s.approval.required is False
    assert s.approval.reason == "no approvers configured: auto-approved"


def test_binding_overrides_and_restrictions() -> None:
    r = resolve(SRE_PROD, templateRef="bound", cluster="prod", reason="")  # tenant alias
    s = r.session
    assert s.cluster.name == "prod-eu"
    assert s.binding is not None
    assert s.binding.ref == "breakglass/sre-prod"
    assert s.binding.display_name == "bound"
    assert s.constraints.max_duration == "2h"
    assert s.constraints.default_duration == "30m"
    assert s.constraints.max_renewals == 5  # not overridden by the binding
    assert s.duration == timedelta(minutes=30)
    assert s.approval.required is True
    assert s.approval.approver_groups == ("security",)
    # restrict-only: template attach=false stays false; binding turns exec off; logs stays on
    ops = s.allowed_pod_operations
    assert (ops.exec, ops.attach, ops.logs, ops.port_forward) == (False, False, True, True)
    # binding labels are copied but never over the reserved session keys
    assert s.labels["team"] == "sre"
    assert s.labels["breakglass.telekom.com/debug-session"] == s.name
    assert s.annotations == {"owner": "sre"}
    assert s.target.namespace == "debug-default"
    assert s.scheduling.selected_option == "standard"
    assert "Scheduling option defaulted to 'standard'" in r.warnings


def test_namespace_with_selector_terms_is_left_for_the_cluster() -> None:
    s = resolve(
        SRE, templateRef="bound", cluster="dev-1", reason="investigating an incident", targetNamespace="apps"
    ).session
    assert s.target.namespace == "apps"
    assert [(c.kind, c.source) for c in s.target.label_checks] == [
        ("allow", "template 'bound'"),
        ("deny", "template 'bound'"),
    ]


def test_namespace_matching_an_allowed_pattern_still_checks_deny_labels() -> None:
    s = resolve(
        SRE, templateRef="bound", cluster="dev-1", reason="investigating an incident", targetNamespace="team-a"
    ).session
    assert [c.kind for c in s.target.label_checks] == ["deny"]


def test_denied_node_labels_star_upgrade() -> None:
    s = resolve(
        SRE,
        templateRef="bound",
        cluster="dev-1",
        reason="investigating an incident",
        selectedSchedulingOption="zone-any",
    ).session
    assert s.scheduling.constraints is not None
    assert s.scheduling.constraints.denied_node_labels == {"node-role.kubernetes.io/control-plane": "*", "zone": "*"}
    assert s.scheduling.constraints.node_selector == {"pool": "general"}


def test_extra_deploy_values_coerced_and_rendered() -> None:
    values = {
        "flag": "true",
        "count": "3",
        "size": "2Gi",
        "tier": "gold",
        "tools": ["a", "b"],
        "note": "abc",
        "undefined": {"x": 1},
    }
    s = resolve(
        SRE, templateRef="bound", cluster="dev-1", reason="investigating an incident", extraDeployValues=values
    ).session
    assert s.extra_deploy_values["flag"] is True
    assert s.extra_deploy_values["count"] == 3
    assert s.vars == {
        "must": "x",
        "flag": "true",
        "count": "3",
        "size": "2Gi",
        "tier": "gold",
        "tools": "a,b",
        "note": "abc",
        "undefined": '{"x":1}',
    }


EXTRA_VALUE_ERRORS = [
    ({"flag": "maybe"}, 'extraDeployValues[flag]: Invalid value: "maybe": must be a boolean (true or false)'),
    ({"note": 5}, "extraDeployValues[note]: Invalid value: 5: must be a string"),
    ({"note": "a"}, 'extraDeployValues[note]: Invalid value: "a": length must be at least 2'),
    ({"note": "abcdef"}, 'extraDeployValues[note]: Invalid value: "abcdef": length must be at most 5'),
    ({"note": "AB"}, 'extraDeployValues[note]: Invalid value: "AB": must match pattern "^[a-z]+$"'),
    ({"count": "many"}, 'extraDeployValues[count]: Invalid value: "many": must be a number'),
    ({"count": 0}, "extraDeployValues[count]: Invalid value: 0: must be at least 1"),
    ({"count": 11}, "extraDeployValues[count]: Invalid value: 11: must be at most 10"),
    (
        {"size": "lots"},
        'extraDeployValues[size]: Invalid value: "lots": invalid storage size format: invalid quantity "lots": expected a number with an optional suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like 1e3)',
    ),
    ({"size": "512Mi"}, 'extraDeployValues[size]: Invalid value: "512Mi": must be at least 1Gi'),
    ({"size": "20Gi"}, 'extraDeployValues[size]: Invalid value: "20Gi": must be at most 10Gi'),
    (
        {"tier": "bronze"},
        'extraDeployValues[tier]: Unsupported value: "bronze": supported values: "gold", "silver", "vip"',
    ),
    (
        {"tier": "silver"},
        'extraDeployValues[tier]: Invalid value: "silver": this option is disabled and cannot be selected',
    ),
    (
        {"tier": "vip"},
        'extraDeployValues[tier]: Forbidden: option "vip" is restricted; requires membership in one of: [vip]',
    ),
    ({"tools": "a"}, 'extraDeployValues[tools]: Invalid value: "a": must be a list of strings'),
    ({"tools": ["a", "c"]}, 'extraDeployValues[tools][1]: Unsupported value: "c": supported values: "a", "b"'),
    ({"tools": []}, "extraDeployValues[tools]: Invalid value: []: must select at least 1 items"),
    (
        {"tools": ["a", "b", "a"]},
        'extraDeployValues[tools]: Invalid value: ["a", "b", "a"]: must select at most 2 items',
    ),
    (
        {"secret": "s"},
        'extraDeployValues[secret]: Forbidden: variable "secret" is restricted; requires membership in one of: [admins]',
    ),
]


@pytest.mark.parametrize(
    ("values", "detail"),
    EXTRA_VALUE_ERRORS,
    ids=[d.split(":")[0] + ":" + d.split(": ")[2][:30] for _, d in EXTRA_VALUE_ERRORS],
)
def test_extra_deploy_value_errors(values: dict[str, Any], detail: str) -> None:
    with pytest.raises(AdmissionError) as info:
        resolve(SRE, templateRef="bound", cluster="dev-1", reason="investigating an incident", extraDeployValues=values)
    assert (info.value.status, info.value.message, info.value.details) == (
        400,
        "extraDeployValues validation failed",
        detail,
    )


def test_all_extra_value_errors_are_reported_together() -> None:
    with pytest.raises(AdmissionError) as info:
        resolve(
            SRE,
            templateRef="bound",
            cluster="dev-1",
            reason="investigating an incident",
            extraDeployValues={"flag": 1, "count": True},
        )
    assert info.value.details == (
        "extraDeployValues[flag]: Invalid value: 1: must be a boolean (true or false); "
        "extraDeployValues[count]: Invalid value: true: must be a number"
    )


def test_required_variable_without_default() -> None:
    world = WORLD.replace(
        '{name: must, inputType: text, required: true, default: "x"}', "{name: must, inputType: text, required: true}"
    )
    with pytest.raises(AdmissionError) as info:
        resolve_session(
            catalog_from(world),
            SRE,
            CreateSessionRequest(template_ref="bound", cluster="dev-1", reason="investigating an incident"),
            NOW,
        )
    assert info.value.details == 'extraDeployValues[must]: Required value: required variable "must" must be provided'


def test_scheduling_option_required_without_default() -> None:
    world = WORLD.replace("        default: true\n", "")
    with pytest.raises(AdmissionError) as info:
        resolve_session(
            catalog_from(world),
            SRE,
            CreateSessionRequest(template_ref="bound", cluster="dev-1", reason="investigating an incident"),
            NOW,
        )
    assert (info.value.status, info.value.message) == (
        400,
        "scheduling option is required but none selected and no default defined",
    )


def test_scheduling_option_ignored_without_options() -> None:
    r = resolve(SRE, templateRef="basic", cluster="dev-1", selectedSchedulingOption="x")
    assert r.warnings == [
        "Target namespace defaulted to 'breakglass-debug'",
        "Scheduling option 'x' was ignored (template has no scheduling options)",
    ]
    assert r.session.scheduling.selected_option == ""


def test_allowed_option_for_member() -> None:
    s = resolve(
        who("nora", "sre", "netops"),
        templateRef="bound",
        cluster="dev-1",
        reason="investigating an incident",
        selectedSchedulingOption="sriov",
    ).session
    assert s.scheduling.constraints is not None
    assert s.scheduling.constraints.node_selector == {"pool": "general", "sriov": "true"}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello world  ", "hello world"),
        ("fix: /var/log #42_now", "fix varlog 42now"),
        ("line1\nline2", "line1line2"),
        ("ünïcödé ok", "ncd ok"),
        ("it's fine, really!?", "it's fine, really!?"),
        ("x" * 600, "x" * 500),
    ],
)
def test_reason_sanitisation(raw: str, clean: str) -> None:
    assert sanitize_reason(raw) == clean
