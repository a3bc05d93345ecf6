"""What the template routes answer, as models: session templates (list, get), their clusters, pod templates.

Which templates, clusters, bindings, options and variables a caller sees is decided by
`domain.resolution.template_access`; this module only shapes the answer. Fields the original API omits when
empty are None here and left out of the JSON (the routes serialize with `exclude_none`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from api.cluster_health import ClusterHealth
from api.responses import ErrorBody
from api.views import ApiModel
from domain.catalog.catalog import Catalog
from domain.extra_vars import ExtraDeployVariable
from domain.identity import Identity
from domain.namespaces import NamespaceConstraints, NamespaceFilter
from domain.policy import AllowedPodOperations, ApprovalReasonConfig, DebugSessionConstraints, RequestReasonConfig
from domain.resolution.template_access import (
    AvailableCluster,
    Offer,
    allowed_cluster_names,
    available_clusters,
    options_for,
    template_allowlist_admits,
    template_visible,
    visible_variables,
)
from domain.scheduling import SchedulingConstraints, SchedulingOptions
from domain.session_template import DebugSessionTemplate

CATALOG_NOT_LOADED: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorBody,
        "description": "No catalog has loaded yet (`catalog not loaded`), or Temporal is unavailable or slow. "
        "Retry after Retry-After seconds.",
    }
}
"""`responses=` entry for routes that read the catalog."""


class ConstraintsView(ApiModel):
    """Duration, renewal and concurrency limits (a template's own, or with a binding's overrides)."""

    max_duration: str = Field(examples=["4h"])
    default_duration: str = Field(examples=["1h"])
    allow_renewal: bool | None = Field(default=None, description="Absent means renewals are allowed.")
    max_renewals: int | None = Field(default=None, description="Absent means 3; 0 means no renewal.")
    renewal_limit: int | None = Field(default=None, description="Deprecated and unused.")
    max_concurrent_sessions: int | None = None
    require_approval_for_renewal: bool | None = None


class TolerationView(ApiModel):
    key: str = ""
    operator: str | None = None
    value: str | None = None
    effect: str | None = None


class SchedulingSummary(ApiModel):
    """Mandatory placement rules, in words and in brief."""

    summary: str | None = Field(
        default=None, examples=["Some node labels are restricted; Specific node labels required"]
    )
    node_selector: dict[str, str] | None = None
    denied_node_labels: dict[str, str] | None = None
    tolerations: list[TolerationView] | None = None


class SchedulingOptionView(ApiModel):
    name: str
    display_name: str
    description: str | None = None
    default: bool | None = None
    scheduling_constraints: SchedulingSummary | None = None


class SchedulingOptionsView(ApiModel):
    """The placements the caller may choose from (options limited to others are not listed)."""

    required: bool
    options: list[SchedulingOptionView]


class SelectorRequirementView(ApiModel):
    key: str
    operator: str
    values: list[str] = Field(default_factory=list)


class SelectorTermView(ApiModel):
    match_labels: dict[str, str] = Field(default_factory=dict)
    match_expressions: list[SelectorRequirementView] = Field(default_factory=list)


class NamespaceConstraintsView(ApiModel):
    """Where the session's workloads may go."""

    allowed_patterns: list[str]
    allowed_label_selectors: list[SelectorTermView]
    denied_patterns: list[str]
    denied_label_selectors: list[SelectorTermView]
    default_namespace: str
    allow_user_namespace: bool = Field(description="User namespaces are allowed and not denied.")


class ImpersonationView(ApiModel):
    enabled: bool = True
    service_account: str | None = None
    namespace: str | None = None


class ApprovalView(ApiModel):
    required: bool = Field(description="The effective approvers name someone.")
    approver_groups: list[str]
    approver_users: list[str]
    can_auto_approve: bool = Field(description="A session of the caller's on this cluster needs no approval.")


class ReasonView(ApiModel):
    mandatory: bool
    mandatory_for_rejection: bool | None = None
    description: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    suggested_reasons: list[str] | None = None


class NotificationView(ApiModel):
    enabled: bool


class ClusterStatusView(ApiModel):
    """The cluster's last health check (absent before the first one)."""

    healthy: bool
    last_checked: str | None = Field(default=None, examples=["2026-11-26T12:00:00Z"])
    detail: str | None = None


class BindingRefView(ApiModel):
    name: str
    namespace: str
    display_name_prefix: str | None = None


class SessionSettingsView(ApiModel):
    """What a session through a binding (or the template alone) gets: limits, scheduling, namespaces,
    impersonation, approval, reasons, notification."""

    constraints: ConstraintsView
    scheduling_constraints: SchedulingSummary | None = None
    scheduling_options: SchedulingOptionsView | None = None
    namespace_constraints: NamespaceConstraintsView | None = None
    impersonation: ImpersonationView | None = None
    required_auxiliary_resource_categories: list[str] | None = None
    approval: ApprovalView
    request_reason: ReasonView | None = None
    approval_reason: ReasonView | None = None
    notification: NotificationView | None = None


class BindingOptionView(SessionSettingsView):
    """One binding offering the cluster, with the settings a session through it gets."""

    binding_ref: BindingRefView
    display_name: str = Field(description="The binding's effective display name.")


class AvailableClusterView(SessionSettingsView):
    """A ready cluster the caller can request the template for. The top-level settings are those of the
    first binding (`bindingRef`), or the template's own when no binding offers the cluster."""

    name: str
    display_name: str
    environment: str = Field(description="The cluster's `environment` label.")
    location: str = Field(description="The cluster's `location` label.")
    site: str | None = Field(default=None, description="The cluster's `site` label.")
    tenant: str | None = Field(default=None, description="The cluster's `tenant` label, else its tenant alias.")
    binding_ref: BindingRefView | None = None
    binding_display_name: str | None = None
    binding_options: list[BindingOptionView] | None = Field(
        default=None, description="Every binding offering this cluster to the caller, the default first."
    )
    status: ClusterStatusView | None = None


_CLUSTER_EXAMPLE: dict[str, Any] = {
    "name": "prod-eu",
    "displayName": "Production EU",
    "environment": "production",
    "location": "eu-central",
    "bindingRef": {"name": "sre-production", "namespace": "breakglass"},
    "bindingDisplayName": "SRE Production Debug",
    "bindingOptions": [
        {
            "bindingRef": {"name": "sre-production", "namespace": "breakglass"},
            "displayName": "SRE Production Debug",
            "constraints": {"maxDuration": "2h", "defaultDuration": "30m", "maxConcurrentSessions": 2},
            "approval": {
                "required": True,
                "approverGroups": ["security-leads"],
                "approverUsers": [],
                "canAutoApprove": False,
            },
        }
    ],
    "constraints": {"maxDuration": "2h", "defaultDuration": "30m", "maxConcurrentSessions": 2},
    "approval": {"required": True, "approverGroups": ["security-leads"], "approverUsers": [], "canAutoApprove": False},
    "status": {"healthy": True, "lastChecked": "2026-11-26T12:00:00Z", "detail": "kube-apiserver v1.31.0"},
}


class TemplateClustersView(ApiModel):
    """The clusters step of the two-step create flow."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "templateName": "network-debug",
                    "templateDisplayName": "Network Debug Access",
                    "clusters": [_CLUSTER_EXAMPLE],
                }
            ]
        }
    )

    template_name: str
    template_display_name: str
    clusters: list[AvailableClusterView]


class VariableOptionView(ApiModel):
    value: str
    display_name: str = ""
    description: str = ""
    disabled: bool = False


class VariableValidationView(ApiModel):
    pattern: str | None = None
    pattern_error: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min: str | None = None
    max: str | None = None
    min_storage: str | None = None
    max_storage: str | None = None
    min_items: int | None = None
    max_items: int | None = None


class ExtraDeployVariableView(ApiModel):
    """A variable the caller may set when creating a session (only the options they may pick)."""

    name: str
    display_name: str = ""
    description: str = ""
    input_type: str = Field(examples=["text"])
    options: list[VariableOptionView] = Field(default_factory=list)
    default: Any = None
    required: bool = False
    validation: VariableValidationView | None = None
    advanced: bool = False
    group: str = ""


class TemplateView(ApiModel):
    """A session template as the caller sees it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "network-debug",
                    "displayName": "Network Debug Access",
                    "description": "Network tools on every node",
                    "mode": "workload",
                    "workloadType": "DaemonSet",
                    "podTemplateRef": "network-debug-pod",
                    "targetNamespace": "breakglass-debug",
                    "constraints": {"maxDuration": "4h", "defaultDuration": "1h", "maxConcurrentSessions": 2},
                    "allowedGroups": ["sre-team"],
                    "requiresApproval": True,
                    "extraDeployVariables": [],
                    "priority": 0,
                    "hidden": False,
                    "deprecated": False,
                    "deprecationMessage": "",
                    "hasAvailableClusters": True,
                    "availableClusterCount": 2,
                }
            ]
        }
    )

    name: str
    display_name: str
    description: str
    mode: str
    workload_type: str
    pod_template_ref: str
    target_namespace: str
    constraints: ConstraintsView | None = Field(default=None, description="The template's own constraints.")
    allowed_clusters: list[str] | None = Field(
        default=None,
        description="Ready clusters matching the template's `allowed.clusters`: only for callers the template's "
        "own allowlist admits.",
    )
    allowed_groups: list[str] | None = Field(
        default=None, description="The template's `allowed.groups`: only for callers its own allowlist admits."
    )
    requires_approval: bool = Field(description="The template's own approvers name someone (bindings aside).")
    scheduling_options: SchedulingOptionsView | None = None
    namespace_constraints: NamespaceConstraintsView | None = None
    extra_deploy_variables: list[ExtraDeployVariableView]
    allowed_pod_operations: AllowedPodOperations | None = None
    priority: int
    hidden: bool
    deprecated: bool
    deprecation_message: str
    has_available_clusters: bool
    available_cluster_count: int = Field(description="Ready clusters the caller can request the template for.")


class TemplateList(ApiModel):
    """The templates the caller may use, highest priority first, then by name."""

    templates: list[TemplateView]
    total: int


class PodTemplateView(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "network-debug-pod", "displayName": "Network tools", "description": "", "containers": 1}
            ]
        }
    )

    name: str
    display_name: str
    description: str
    containers: int = Field(description="Containers of the structured template (0 for a templateString).")


class PodTemplateList(ApiModel):
    templates: list[PodTemplateView]
    total: int


# --- building them --------------------------------------------------------------------------------------


def constraints_view(c: DebugSessionConstraints | None) -> ConstraintsView | None:
    return ConstraintsView.model_validate(c.model_dump(exclude_none=True)) if c is not None else None


def scheduling_summary(sc: SchedulingConstraints | None) -> SchedulingSummary | None:
    """The mandatory rules summed up: which kinds there are (in words), node selector, denied labels,
    tolerations."""
    if sc is None:
        return None
    kinds = (
        (sc.denied_node_labels, "Some node labels are restricted"),
        (sc.node_selector, "Specific node labels required"),
        (sc.denied_nodes, "Some nodes are denied"),
        (sc.tolerations, "Custom tolerations applied"),
    )
    return SchedulingSummary(
        summary="; ".join(words for present, words in kinds if present) or None,
        node_selector=dict(sc.node_selector) or None,
        denied_node_labels=dict(sc.denied_node_labels) or None,
        tolerations=[
            TolerationView(
                key=str(t.get("key") or ""),
                operator=t.get("operator"),
                value=t.get("value"),
                effect=t.get("effect"),
            )
            for t in sc.tolerations
        ]
        or None,
    )


def scheduling_options_view(options: SchedulingOptions | None) -> SchedulingOptionsView | None:
    """Every option of `options` (the caller's selection: see `options_for`), constraints summed up."""
    if options is None:
        return None
    return SchedulingOptionsView(
        required=options.required,
        options=[
            SchedulingOptionView(
                name=o.name,
                display_name=o.display_name,
                description=o.description or None,
                default=o.default,
                scheduling_constraints=scheduling_summary(o.scheduling_constraints),
            )
            for o in options.options
        ],
    )


def _terms(f: NamespaceFilter | None) -> list[SelectorTermView]:
    return [SelectorTermView.model_validate(t.model_dump()) for t in f.selector_terms] if f is not None else []


def namespace_view(nc: NamespaceConstraints | None) -> NamespaceConstraintsView | None:
    if nc is None:
        return None
    allowed, denied = nc.allowed_namespaces, nc.denied_namespaces
    return NamespaceConstraintsView(
        allowed_patterns=list(allowed.patterns) if allowed else [],
        allowed_label_selectors=_terms(allowed),
        denied_patterns=list(denied.patterns) if denied else [],
        denied_label_selectors=_terms(denied),
        default_namespace=nc.default_namespace,
        allow_user_namespace=nc.allow_user_namespace and not nc.deny_user_namespace,
    )


def _request_reason(r: RequestReasonConfig | None) -> ReasonView | None:
    if r is None:
        return None
    return ReasonView(
        mandatory=r.mandatory,
        description=r.description or None,
        min_length=r.min_length,
        max_length=r.max_length,
        suggested_reasons=list(r.suggested_reasons) or None,
    )


def _approval_reason(r: ApprovalReasonConfig | None) -> ReasonView | None:
    if r is None:
        return None
    return ReasonView(
        mandatory=r.mandatory,
        mandatory_for_rejection=r.mandatory_for_rejection,
        description=r.description or None,
        min_length=r.min_length,
    )


def _offer_fields(offer: Offer) -> dict[str, Any]:
    """The settings of one offer, as keyword arguments of BindingOptionView / AvailableClusterView."""
    ref = offer.impersonation.service_account_ref if offer.impersonation is not None else None
    policy = offer.approval
    return {
        "constraints": constraints_view(offer.constraints),
        "scheduling_constraints": scheduling_summary(offer.scheduling_constraints),
        "scheduling_options": scheduling_options_view(offer.scheduling_options),
        "namespace_constraints": namespace_view(offer.namespace_constraints),
        # Only a service account changes how the session is deployed; other impersonation settings do not.
        "impersonation": ImpersonationView(service_account=ref.name, namespace=ref.namespace) if ref else None,
        "required_auxiliary_resource_categories": list(offer.required_auxiliary_resource_categories) or None,
        "approval": ApprovalView(
            required=offer.approval_configured,
            approver_groups=list(policy.approver_groups),
            approver_users=list(policy.approver_users),
            can_auto_approve=not policy.required,
        ),
        "request_reason": _request_reason(offer.request_reason),
        "approval_reason": _approval_reason(offer.approval_reason),
        "notification": NotificationView(enabled=offer.notification.enabled) if offer.notification else None,
    }


def _binding_ref(offer: Offer) -> BindingRefView | None:
    b = offer.binding
    if b is None:
        return None
    return BindingRefView(
        name=b.metadata.name, namespace=b.namespace, display_name_prefix=b.spec.display_name_prefix or None
    )


def cluster_view(available: AvailableCluster, health: ClusterHealth) -> AvailableClusterView:
    cluster, primary = available.cluster, available.offers[0]
    labels = cluster.metadata.labels
    status = health.status(cluster.name)
    bound = [o for o in available.offers if o.binding is not None]
    return AvailableClusterView(
        name=cluster.name,
        display_name=cluster.spec.display_name or cluster.name,
        environment=labels.get("environment", ""),
        location=labels.get("location", ""),
        site=labels.get("site") or None,
        tenant=labels.get("tenant") or cluster.spec.tenant or None,
        binding_ref=_binding_ref(primary),
        binding_display_name=primary.display_name if primary.binding is not None else None,
        binding_options=[
            BindingOptionView(binding_ref=ref, display_name=o.display_name, **_offer_fields(o))
            for o in bound
            if (ref := _binding_ref(o)) is not None
        ]
        or None,
        status=ClusterStatusView.model_validate(status) if status is not None else None,
        **_offer_fields(primary),
    )


def template_clusters_view(
    catalog: Catalog,
    template: DebugSessionTemplate,
    who: Identity,
    now: datetime,
    health: ClusterHealth,
    environment: str | None = None,
    location: str | None = None,
    binding_name: str | None = None,
) -> TemplateClustersView:
    """The ready clusters the caller can request `template` for, filtered exactly by the cluster's
    environment and location labels and by the default binding's name."""
    clusters = [
        view
        for view in (cluster_view(a, health) for a in available_clusters(catalog, template, who, now, health.unready()))
        if (environment is None or view.environment == environment)
        and (location is None or view.location == location)
        and (binding_name is None or (view.binding_ref is not None and view.binding_ref.name == binding_name))
    ]
    return TemplateClustersView(
        template_name=template.metadata.name, template_display_name=template.spec.display_name, clusters=clusters
    )


def _variable_view(v: ExtraDeployVariable) -> ExtraDeployVariableView:
    # `allowedGroups` (of the variable and of its options) is never shown: it is who may, not what is.
    data = v.model_dump(exclude={"allowed_groups": True, "options": {"__all__": {"allowed_groups"}}})
    return ExtraDeployVariableView.model_validate(data)


def template_view(
    catalog: Catalog, template: DebugSessionTemplate, who: Identity, now: datetime, unready: frozenset[str]
) -> TemplateView:
    s = template.spec
    count = len(available_clusters(catalog, template, who, now, unready))
    on_allowlist = template_allowlist_admits(template, who)
    return TemplateView(
        name=template.metadata.name,
        display_name=s.display_name,
        description=s.description,
        mode=s.mode,
        workload_type=s.workload_type or ("DaemonSet" if s.mode != "kubectl-debug" else ""),
        pod_template_ref=s.pod_template_ref.name if s.pod_template_ref else "",
        target_namespace=s.target_namespace,
        constraints=constraints_view(s.constraints),
        allowed_clusters=(allowed_cluster_names(catalog, template, unready) or None) if on_allowlist else None,
        allowed_groups=(list(s.allowed.groups) or None) if on_allowlist and s.allowed is not None else None,
        requires_approval=bool(s.approvers and (s.approvers.users or s.approvers.groups)),
        scheduling_options=scheduling_options_view(options_for(s.scheduling_options, who)),
        namespace_constraints=namespace_view(s.namespace_constraints),
        extra_deploy_variables=[_variable_view(v) for v in visible_variables(s.extra_deploy_variables, who)],
        allowed_pod_operations=s.allowed_pod_operations,
        priority=s.priority,
        hidden=s.hidden,
        deprecated=s.deprecated,
        deprecation_message=s.deprecation_message,
        has_available_clusters=count > 0,
        available_cluster_count=count,
    )


def template_list(
    catalog: Catalog,
    who: Identity,
    now: datetime,
    unready: frozenset[str],
    include_hidden: bool = False,
    include_unavailable: bool = False,
) -> TemplateList:
    """Readable templates (hidden ones only with `include_hidden`, those without a cluster for the caller
    only with `include_unavailable`), highest priority first, then by name."""
    views = [
        template_view(catalog, t, who, now, unready)
        for t in catalog.session_templates.values()
        if (include_hidden or not t.spec.hidden) and template_visible(catalog, t, who, now)
    ]
    views = [v for v in views if include_unavailable or v.has_available_clusters]
    views.sort(key=lambda v: (-v.priority, v.name))
    return TemplateList(templates=views, total=len(views))


def pod_template_view(catalog: Catalog, name: str) -> PodTemplateView:
    t = catalog.pod_templates[name]
    return PodTemplateView(
        name=name,
        display_name=t.spec.display_name,
        description=t.spec.description,
        containers=len(t.spec.template.spec.containers) if t.spec.template else 0,
    )
