"""What a caller may see of a template: whether it is readable, on which clusters it can be requested, and
through which bindings with which settings (the template list, get and clusters endpoints).

Pure: built from the catalog, the caller, the time and the set of clusters whose last health check failed.
See docs/behaviour/api.md#template-visibility and docs/behaviour/resolution.md#template-access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.binding import DebugSessionClusterBinding
from domain.catalog.catalog import Catalog, bound_clusters, effective_display_name
from domain.cluster import ClusterConfig
from domain.durations import DurationError, parse_duration
from domain.extra_vars import ExtraDeployVariable
from domain.globs import match_any
from domain.identity import Identity
from domain.impersonation import ImpersonationConfig
from domain.namespaces import NamespaceConstraints
from domain.policy import ApprovalReasonConfig, DebugSessionConstraints, NotificationConfig, RequestReasonConfig
from domain.resolution.access import allowlist_admits, applicable_bindings, effective_allowlist
from domain.resolution.approval import ApprovalPolicy, approval_policy, effective_approvers
from domain.resolution.scheduling import option_admits
from domain.scheduling import SchedulingConstraints, SchedulingOption, SchedulingOptions
from domain.session_template import DebugSessionTemplate


def template_allowlist_admits(template: DebugSessionTemplate, who: Identity) -> bool:
    """The template states `allowed` and its own allowlist admits the caller (bindings aside)."""
    return template.spec.allowed is not None and allowlist_admits(template.spec.allowed, who)


def _reaches_clusters_itself(template: DebugSessionTemplate, who: Identity) -> bool:
    """The template names clusters of its own (`allowed.clusters`) and its allowlist admits the caller."""
    allowed = template.spec.allowed
    return allowed is not None and bool(allowed.clusters) and allowlist_admits(allowed, who)


def template_visible(catalog: Catalog, template: DebugSessionTemplate, who: Identity, now: datetime) -> bool:
    """Readable (list, get, clusters) when any of these holds:

    * the template lists `allowed.clusters` and its own allowlist admits the caller;
    * it lists no `allowed.clusters`, no active binding applies to it, and its allowlist admits the caller;
    * the effective allowlist of at least one active applicable binding admits the caller (hidden bindings
      count too: hiding a binding keeps it out of the cluster picker, not out of access).
    """
    if _reaches_clusters_itself(template, who):
        return True
    bindings = applicable_bindings(catalog, template, now)
    allowed = template.spec.allowed
    if not (allowed is not None and allowed.clusters) and not bindings and allowlist_admits(allowed, who):
        return True
    return any(allowlist_admits(effective_allowlist(template, b), who) for b in bindings)


def visible_options(options: SchedulingOptions | None, who: Identity) -> list[SchedulingOption]:
    """The scheduling options the caller may select (options limited to other users or groups are left out)."""
    return [o for o in options.options if option_admits(o, who)] if options is not None else []


def options_for(options: SchedulingOptions | None, who: Identity) -> SchedulingOptions | None:
    """`options` with only those the caller may select (None stays None)."""
    return options.model_copy(update={"options": visible_options(options, who)}) if options is not None else None


def options_usable(options: SchedulingOptions | None, who: Identity) -> bool:
    """False when a choice is required but every option is limited to someone else: the caller could not
    create a session with these options, so the binding (or template) offers them nothing."""
    if options is None or not options.required or not options.options:
        return True
    return bool(visible_options(options, who))


def _group_admits(allowed_groups: list[str], who: Identity) -> bool:
    """Variables and their options: open when they name no group, else one group must match exactly."""
    return not allowed_groups or bool(set(allowed_groups) & set(who.groups))


def visible_variables(variables: list[ExtraDeployVariable], who: Identity) -> list[ExtraDeployVariable]:
    """The extra deploy variables the caller's groups may set, each with only the options they may pick."""
    return [
        v.model_copy(update={"options": [o for o in v.options if _group_admits(o.allowed_groups, who)]})
        for v in variables
        if _group_admits(v.allowed_groups, who)
    ]


def allowed_cluster_names(catalog: Catalog, template: DebugSessionTemplate, unready: frozenset[str]) -> list[str]:
    """The template's `allowed.clusters` patterns expanded against the ready clusters, sorted."""
    allowed = template.spec.allowed
    if allowed is None or not allowed.clusters:
        return []
    return sorted(n for n in catalog.clusters if n not in unready and match_any(allowed.clusters, n))


def _positive(text: str) -> bool:
    try:
        return parse_duration(text) > timedelta(0)
    except DurationError:
        return False


def offered_constraints(
    template: DebugSessionConstraints | None, binding: DebugSessionConstraints | None
) -> DebugSessionConstraints:
    """The template's constraints with what the binding overrides: maxDuration and defaultDuration when the
    binding states a positive value, maxConcurrentSessions when it states one above 0, maxRenewals when it
    states it. A binding's constraints stand alone when the template has none; neither having any gives the
    defaults a session would get (4h max, 1h default)."""
    if binding is None:
        return template if template is not None else DebugSessionConstraints()
    if template is None:
        return binding
    update: dict[str, object] = {}
    for field in ("max_duration", "default_duration"):
        if binding.given(field) and _positive(getattr(binding, field)):
            update[field] = getattr(binding, field)
    if binding.given("max_concurrent_sessions") and binding.max_concurrent_sessions > 0:
        update["max_concurrent_sessions"] = binding.max_concurrent_sessions
    if binding.max_renewals is not None:
        update["max_renewals"] = binding.max_renewals
    return template.model_copy(update=update)


@dataclass(frozen=True)
class Offer:
    """The terms a cluster is offered on: through one binding, or through the template alone (`binding`
    None). Each setting is the binding's when it states one, else the template's."""

    binding: DebugSessionClusterBinding | None
    display_name: str
    """The binding's effective display name (the template's display name or name without a binding)."""
    constraints: DebugSessionConstraints
    scheduling_constraints: SchedulingConstraints | None
    """The binding's mandatory constraints replace the template's here (a summary, not the merge)."""
    scheduling_options: SchedulingOptions | None
    """Only the options the caller may select."""
    namespace_constraints: NamespaceConstraints | None
    impersonation: ImpersonationConfig | None
    """Binding, else template, else the cluster's default."""
    required_auxiliary_resource_categories: tuple[str, ...]
    """The template's and the binding's, template first, without repeats."""
    approval: ApprovalPolicy
    """For the caller (autoApproveFor with their current groups); approvers empty = nobody approves."""
    request_reason: RequestReasonConfig | None
    """Binding, else template; None for a binding-less offer (so are the next two)."""
    approval_reason: ApprovalReasonConfig | None
    notification: NotificationConfig | None

    @property
    def approval_configured(self) -> bool:
        """The effective approver set names someone (otherwise sessions are approved automatically)."""
        return bool(self.approval.approver_users or self.approval.approver_groups)


@dataclass(frozen=True)
class AvailableCluster:
    """A ready cluster the caller can request the template for, and every binding that offers it."""

    cluster: ClusterConfig
    offers: tuple[Offer, ...]
    """One per binding in namespace/name order (the first is the default); one binding-less offer when
    the cluster comes from the template's own `allowed.clusters`."""


def _options_of(template: DebugSessionTemplate, binding: DebugSessionClusterBinding | None) -> SchedulingOptions | None:
    if binding is not None and binding.spec.scheduling_options is not None:
        return binding.spec.scheduling_options
    return template.spec.scheduling_options


def _offer(
    template: DebugSessionTemplate,
    binding: DebugSessionClusterBinding | None,
    cluster: ClusterConfig,
    who: Identity,
) -> Offer:
    t = template.spec
    b = binding.spec if binding is not None else None
    options = _options_of(template, binding)
    categories = list(t.required_auxiliary_resource_categories)
    for category in b.required_auxiliary_resource_categories if b is not None else []:
        if category not in categories:
            categories.append(category)
    approvers = effective_approvers(t.approvers, b.approvers if b is not None else None, binding is not None)
    return Offer(
        binding=binding,
        display_name=effective_display_name(binding, template)
        if binding is not None
        else t.display_name or template.metadata.name,
        constraints=offered_constraints(t.constraints, b.constraints if b is not None else None),
        scheduling_constraints=(b.scheduling_constraints if b is not None else None) or t.scheduling_constraints,
        scheduling_options=options_for(options, who),
        namespace_constraints=(b.namespace_constraints if b is not None else None) or t.namespace_constraints,
        impersonation=(b.impersonation if b is not None else None) or t.impersonation or cluster.spec.impersonation,
        required_auxiliary_resource_categories=tuple(categories),
        approval=approval_policy(approvers, cluster.name, who.groups),
        # A cluster offered by the template alone shows no reason or notification settings (as the original).
        request_reason=(b.request_reason or t.request_reason) if b is not None else None,
        approval_reason=(b.approval_reason or t.approval_reason) if b is not None else None,
        notification=(b.notification or t.notification) if b is not None else None,
    )


def available_clusters(
    catalog: Catalog,
    template: DebugSessionTemplate,
    who: Identity,
    now: datetime,
    unready: frozenset[str] = frozenset(),
) -> list[AvailableCluster]:
    """The ready clusters the caller can request `template` for, sorted by name.

    First every cluster of each active, non-hidden applicable binding whose effective allowlist admits the
    caller and whose required scheduling options leave the caller at least one; then the clusters matching
    the template's `allowed.clusters` (when its own allowlist admits the caller and its required options
    leave one) that no binding offered. Clusters whose last health check failed are left out: a session
    could not be created there.
    """
    offers: dict[str, list[Offer]] = {}
    for b in applicable_bindings(catalog, template, now):
        if b.spec.hidden or not allowlist_admits(effective_allowlist(template, b), who):
            continue
        if not options_usable(_options_of(template, b), who):
            continue
        for name in bound_clusters(catalog, b):
            cluster = catalog.clusters.get(name)
            if cluster is not None and name not in unready:
                offers.setdefault(name, []).append(_offer(template, b, cluster, who))
    if _reaches_clusters_itself(template, who) and options_usable(template.spec.scheduling_options, who):
        for name in allowed_cluster_names(catalog, template, unready):
            if name not in offers:
                offers[name] = [_offer(template, None, catalog.clusters[name], who)]
    return [AvailableCluster(catalog.clusters[n], tuple(offers[n])) for n in sorted(offers)]
