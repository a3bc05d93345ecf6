"""The create pipeline: request + caller + catalog -> ResolvedSession, or one error.

See docs/behaviour/resolution.md#pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.binding import DebugSessionClusterBinding
from domain.catalog.catalog import RESERVED_SESSION_KEYS, Catalog, effective_display_name
from domain.cluster import ClusterConfig
from domain.globs import match_any
from domain.identity import Identity
from domain.policy import AllowedSubjects, RequestReasonConfig
from domain.resolution import access
from domain.resolution.approval import approval_policy, effective_approvers
from domain.resolution.constraints import effective_constraints, session_duration
from domain.resolution.errors import AdmissionError, bad_request, forbidden
from domain.resolution.extra_vars import render_vars, resolve_values
from domain.resolution.namespaces import resolve_namespace
from domain.resolution.naming import session_name
from domain.resolution.pod_operations import merge_pod_operations
from domain.resolution.request import CreateSessionRequest
from domain.resolution.resolved import ResolvedBindingRef, ResolvedCluster, ResolvedSession
from domain.resolution.scheduling import resolve_scheduling
from domain.session_template import DebugSessionTemplate

SESSION_LABEL = "breakglass.telekom.com/debug-session"
TEMPLATE_LABEL = "breakglass.telekom.com/debug-template"
CLUSTER_LABEL = "breakglass.telekom.com/debug-cluster"
MAX_REASON = 500
_REASON_DROP = re.compile(r"[^a-zA-Z0-9 .,;!?'-]")


@dataclass(frozen=True)
class OpenSessionCounts:
    """Open (not terminal, not past expiry) sessions through one binding: the caller's and everyone's."""

    mine: int = 0
    total: int = 0


@dataclass(frozen=True)
class Resolution:
    """A successful resolution and the warnings the API returns with it."""

    session: ResolvedSession
    warnings: list[str] = field(default_factory=list)


def sanitize_reason(reason: str) -> str:
    """Trim, keep only `[a-zA-Z0-9 .,;!?'-]`, trim, at most 500 characters (docs/behaviour/resolution.md#reason)."""
    return _REASON_DROP.sub("", reason.strip()).strip()[:MAX_REASON]


def resolve_session(
    catalog: Catalog,
    who: Identity,
    request: CreateSessionRequest,
    now: datetime,
    *,
    session_namespace: str = "breakglass",
    unready_clusters: frozenset[str] = frozenset(),
    open_sessions: Mapping[str, OpenSessionCounts] | None = None,
) -> Resolution:
    """Admit a create request or raise AdmissionError (status + message) at the first failing step.

    `open_sessions` maps a binding's `namespace/name` to its open-session counts (the API's read model
    supplies them); `unready_clusters` names clusters currently not usable.
    """
    warnings: list[str] = []
    template_name = request.template_ref.strip()
    requested_cluster = request.cluster.strip()
    if not template_name:
        raise bad_request("templateRef is required")
    if not requested_cluster:
        raise bad_request("cluster is required")
    target_ns = request.target_namespace.strip()
    alias_ns = request.namespace.strip()
    if alias_ns and target_ns and alias_ns != target_ns:
        raise bad_request(
            "namespace is deprecated alias for targetNamespace and must match targetNamespace when both are set"
        )
    target_ns = target_ns or alias_ns
    reason = sanitize_reason(request.reason)
    if not who.username.strip():
        raise AdmissionError(401, "user not authenticated")
    template = catalog.session_templates.get(template_name)
    if template is None:
        raise bad_request(f"template '{template_name}' not found")

    applicable = access.applicable_bindings(catalog, template, now)
    if not request.binding_ref.strip() and not _anyone_admits(template, applicable, who):
        raise forbidden(access.NOT_ALLOWED)
    lookup = access.lookup_cluster(catalog, requested_cluster, unready_clusters)
    cluster_name = lookup.cluster.name if lookup.cluster is not None else requested_cluster
    if request.binding_ref.strip():
        binding: DebugSessionClusterBinding | None = _explicit_binding(
            catalog, template, request.binding_ref, cluster_name, who, now
        )
    else:
        binding = _covering_binding(catalog, template, applicable, requested_cluster, cluster_name, who)
    if binding is not None and not access.allowlist_admits(access.effective_allowlist(template, binding), who):
        raise forbidden(access.NOT_ALLOWED)
    if lookup.error is not None:
        raise lookup.error
    assert lookup.cluster is not None
    cluster = lookup.cluster
    b_spec = binding.spec if binding is not None else None

    limits = effective_constraints(template.spec.constraints, b_spec.constraints if b_spec else None)
    duration = session_duration(request.requested_duration, limits)
    reason_cfg = b_spec.request_reason if b_spec and b_spec.request_reason else template.spec.request_reason
    _check_reason(reason, reason_cfg)
    target = resolve_namespace(
        target_ns,
        template.spec.namespace_constraints,
        b_spec.namespace_constraints if b_spec else None,
        template_name,
        binding.ref if binding else None,
        template.spec.target_namespace,
    )
    if target.defaulted:
        warnings.append(f"Target namespace defaulted to '{target.namespace}'")
    scheduling = resolve_scheduling(
        template.spec.scheduling_constraints,
        b_spec.scheduling_constraints if b_spec else None,
        template.spec.scheduling_options,
        b_spec.scheduling_options if b_spec else None,
        request.selected_scheduling_option.strip(),
        who,
    )
    warnings += scheduling.warnings
    values = resolve_values(template.spec.extra_deploy_variables, request.extra_deploy_values, who)

    name = session_name(who.username, cluster.name, _unix_nanos(now))
    labels = {SESSION_LABEL: name, TEMPLATE_LABEL: template_name, CLUSTER_LABEL: cluster.name}
    annotations: dict[str, str] = {}
    if binding is not None:
        _check_limits(binding, who, (open_sessions or {}).get(binding.ref, OpenSessionCounts()))
        labels = {
            **{k: v for k, v in binding.spec.labels.items() if k not in RESERVED_SESSION_KEYS},
            **labels,
        }
        annotations = dict(binding.spec.annotations)
    pod_template = (
        catalog.pod_templates[template.spec.pod_template_ref.name]
        if template.spec.pod_template_ref is not None and template.spec.pod_template_string is None
        else None
    )
    session = ResolvedSession(
        name=name,
        namespace=session_namespace,
        created_at=now,
        requester=who,
        template_name=template_name,
        template=template.spec,
        pod_template_name=pod_template.metadata.name if pod_template else None,
        pod_template=pod_template.spec if pod_template else None,
        cluster=_resolved_cluster(cluster),
        binding=_resolved_binding(binding, template),
        mode=template.spec.mode,
        constraints=limits,
        duration=duration,
        requested_duration=request.requested_duration.strip(),
        reason=reason,
        node_selector=dict(request.node_selector),
        invited_participants=tuple(request.invited_participants),
        target=target,
        scheduling=scheduling,
        allowed_pod_operations=merge_pod_operations(
            template.spec.allowed_pod_operations, b_spec.allowed_pod_operations if b_spec else None
        ),
        approval=approval_policy(
            effective_approvers(template.spec.approvers, b_spec.approvers if b_spec else None, binding is not None),
            cluster.name,
            who.groups,
        ),
        extra_deploy_values=values,
        vars=render_vars(template.spec.extra_deploy_variables, values),
        request_reason=reason_cfg,
        approval_reason=b_spec.approval_reason if b_spec and b_spec.approval_reason else template.spec.approval_reason,
        notification=b_spec.notification if b_spec and b_spec.notification else template.spec.notification,
        impersonation=(b_spec.impersonation if b_spec else None)
        or template.spec.impersonation
        or cluster.spec.impersonation,
        enabled_auxiliary_resources=enabled_auxiliary_resources(template, binding),
        labels=labels,
        annotations=annotations,
    )
    return Resolution(session, warnings)


def _unix_nanos(now: datetime) -> int:
    return int(now.timestamp()) * 1_000_000_000 + now.microsecond * 1000


def _anyone_admits(template: DebugSessionTemplate, applicable: list[DebugSessionClusterBinding], who: Identity) -> bool:
    if access.allowlist_admits(template.spec.allowed, who):
        return True
    return any(access.allowlist_admits(access.effective_allowlist(template, b), who) for b in applicable)


def _explicit_binding(
    catalog: Catalog,
    template: DebugSessionTemplate,
    ref: str,
    cluster: str,
    who: Identity,
    now: datetime,
) -> DebugSessionClusterBinding:
    """With bindingRef, hiding binding details from callers the binding would not admit
    (docs/behaviour/resolution.md#explicit-binding)."""
    parts = ref.strip().split("/")
    template_admits = access.allowlist_admits(template.spec.allowed, who)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise (
            bad_request("bindingRef must use namespace/name format")
            if template_admits
            else forbidden(access.NOT_ALLOWED)
        )
    key = f"{parts[0].strip()}/{parts[1].strip()}"
    binding = catalog.bindings.get(key)
    if binding is None:
        if not template_admits:
            raise forbidden(access.NOT_ALLOWED)
        raise bad_request(f"binding '{key}' not found", reason="binding_not_found")
    admitted = access.allowlist_admits(access.effective_allowlist(template, binding), who)
    for ok, message in (
        (
            access.binding_active(binding, now),
            "binding is not active (disabled, expired, or not yet effective)",
        ),
        (
            access.binding_applies_to(binding, template),
            "binding does not grant access to the requested template",
        ),
        (
            access.binding_covers(catalog, binding, cluster),
            "binding does not grant access to the requested cluster",
        ),
    ):
        if not ok:
            raise forbidden(message if admitted else access.NOT_ALLOWED)
    return binding


def _covering_binding(
    catalog: Catalog,
    template: DebugSessionTemplate,
    applicable: list[DebugSessionClusterBinding],
    requested: str,
    cluster: str,
    who: Identity,
) -> DebugSessionClusterBinding | None:
    """Without bindingRef: the first covering binding, or the template's own cluster globs
    (docs/behaviour/resolution.md#covering-binding)."""
    covering = [b for b in applicable if access.binding_covers(catalog, b, cluster)]
    if covering:
        return covering[0]
    patterns = (template.spec.allowed or AllowedSubjects()).clusters
    if patterns and (match_any(patterns, cluster) or match_any(patterns, requested)):
        return None
    t = template.metadata.name
    if not patterns:
        raise forbidden(
            f"cluster '{requested}' is not allowed. Template '{t}' has no allowed cluster patterns and no "
            "bindings grant access to this cluster."
        )
    if access.allowlist_admits(template.spec.allowed, who):
        raise forbidden(
            f"cluster '{requested}' is not allowed by template '{t}'. Template cluster patterns: "
            f"[{' '.join(patterns)}]. No bindings grant access to this cluster."
        )
    raise forbidden(
        f"cluster '{requested}' is not allowed by template '{t}'. No bindings grant access to this cluster."
    )


def _check_reason(reason: str, cfg: RequestReasonConfig | None) -> None:
    """The reason's configuration, on the sanitised text (docs/behaviour/resolution.md#reason)."""
    if cfg is None:
        return
    if cfg.mandatory and not reason.strip():
        raise bad_request("missing required request reason")
    if reason:
        if len(reason) < cfg.min_length:
            raise bad_request(f"reason must be at least {cfg.min_length} characters")
        if cfg.max_length > 0 and len(reason) > cfg.max_length:
            raise bad_request(f"reason must be at most {cfg.max_length} characters")


def _check_limits(binding: DebugSessionClusterBinding, who: Identity, counts: OpenSessionCounts) -> None:
    """Per-user and total open sessions through the binding (docs/behaviour/resolution.md#session-limits)."""
    per_user = binding.spec.max_active_sessions_per_user
    if per_user is not None and counts.mine >= per_user:
        raise forbidden(f"session limit reached: maximum {per_user} active sessions per user allowed via this binding")
    total = binding.spec.max_active_sessions_total
    if total is not None and counts.total >= total:
        raise forbidden(f"session limit reached: maximum {total} total active sessions allowed via this binding")


def _resolved_cluster(cluster: ClusterConfig) -> ResolvedCluster:
    return ResolvedCluster(
        name=cluster.name,
        display_name=cluster.spec.display_name,
        kubeconfig_path=cluster.spec.kubeconfig.path,
        kubeconfig_context=cluster.spec.kubeconfig.context,
        labels=dict(cluster.metadata.labels),
    )


def _resolved_binding(
    binding: DebugSessionClusterBinding | None, template: DebugSessionTemplate
) -> ResolvedBindingRef | None:
    if binding is None:
        return None
    return ResolvedBindingRef(
        name=binding.metadata.name,
        namespace=binding.namespace,
        display_name=effective_display_name(binding, template),
        spec=binding.spec,
    )


def enabled_auxiliary_resources(
    template: DebugSessionTemplate, binding: DebugSessionClusterBinding | None
) -> tuple[str, ...]:
    """Which auxiliary resources deploy, first rule wins per resource
    (docs/behaviour/resolution.md#auxiliary-resource-selection)."""
    required = set(template.spec.required_auxiliary_resource_categories)
    overrides: dict[str, bool] = {}
    if binding is not None:
        required |= set(binding.spec.required_auxiliary_resource_categories)
        overrides = binding.spec.auxiliary_resource_overrides
    enabled: list[str] = []
    for aux in template.spec.auxiliary_resources:
        if aux.category in required:
            enabled.append(aux.name)
        elif aux.category in overrides:
            if overrides[aux.category]:
                enabled.append(aux.name)
        elif template.spec.auxiliary_resource_defaults.get(aux.name):
            enabled.append(aux.name)
    return tuple(enabled)
