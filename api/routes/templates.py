"""Session templates (list, get, clusters) and pod templates (list, get), filtered for the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from api.deps import Caller, CatalogDep, State
from api.errors import ApiError
from domain.catalog.catalog import Catalog, bound_clusters, effective_display_name
from domain.cluster import ClusterConfig
from domain.globs import match_any
from domain.identity import Identity
from domain.impersonation import ImpersonationConfig
from domain.namespaces import NamespaceConstraints
from domain.policy import Approvers
from domain.resolution.access import allowlist_admits, applicable_bindings, effective_allowlist
from domain.resolution.approval import approval_policy, effective_approvers
from domain.resolution.constraints import EffectiveConstraints, effective_constraints
from domain.resolution.scheduling import option_admits
from domain.session_template import DebugSessionTemplate

templates_router = APIRouter(tags=["templates"])
pod_templates_router = APIRouter(tags=["pod templates"])


def _visible(catalog: Catalog, template: DebugSessionTemplate, who: Identity) -> bool:
    """§9.4: readable through the template's own allowlist or through an admitting binding."""
    bindings = applicable_bindings(catalog, template, datetime.now(UTC))
    allowed = template.spec.allowed
    if allowed is not None and allowed.clusters and allowlist_admits(allowed, who):
        return True
    if not (allowed is not None and allowed.clusters) and not bindings and allowlist_admits(allowed, who):
        return True
    return any(allowlist_admits(effective_allowlist(template, b), who) for b in bindings)


def _clusters(
    catalog: Catalog,
    template: DebugSessionTemplate,
    who: Identity,
    status_of: Callable[[str], dict[str, object] | None] = lambda name: None,
) -> list[dict[str, Any]]:
    """Clusters the caller can request the template for, with the binding that would apply."""
    out: dict[str, dict[str, Any]] = {}
    for b in applicable_bindings(catalog, template, datetime.now(UTC)):
        if b.spec.hidden or not allowlist_admits(effective_allowlist(template, b), who):
            continue
        limits = effective_constraints(template.spec.constraints, b.spec.constraints)
        approvers = effective_approvers(template.spec.approvers, b.spec.approvers, True)
        for name in bound_clusters(catalog, b):
            cluster = catalog.clusters.get(name)
            if cluster is not None and name not in out:
                namespaces = b.spec.namespace_constraints or template.spec.namespace_constraints
                impersonation = b.spec.impersonation or template.spec.impersonation
                out[name] = _cluster_entry(cluster, limits, approvers, who, namespaces, impersonation) | {
                    "bindingRef": {"name": b.metadata.name, "namespace": b.namespace},
                    "bindingDisplayName": effective_display_name(b, template),
                }
    allowed = template.spec.allowed
    if allowed is not None and allowed.clusters and allowlist_admits(allowed, who):
        limits = effective_constraints(template.spec.constraints, None)
        for name, cluster in sorted(catalog.clusters.items()):
            if name not in out and match_any(allowed.clusters, name):
                out[name] = _cluster_entry(
                    cluster,
                    limits,
                    template.spec.approvers,
                    who,
                    template.spec.namespace_constraints,
                    template.spec.impersonation,
                )
    return [out[k] | {"status": status_of(k)} for k in sorted(out)]


def _namespace_summary(nc: NamespaceConstraints | None) -> dict[str, Any] | None:
    """§1.12 namespaceConstraints summary (allowUserNamespace = allow and not deny)."""
    if nc is None:
        return None
    allowed, denied = nc.allowed_namespaces, nc.denied_namespaces
    return {
        "allowedPatterns": list(allowed.patterns) if allowed else [],
        "allowedLabelSelectors": [t.model_dump(mode="json", by_alias=True) for t in allowed.selector_terms]
        if allowed
        else [],
        "deniedPatterns": list(denied.patterns) if denied else [],
        "deniedLabelSelectors": [t.model_dump(mode="json", by_alias=True) for t in denied.selector_terms]
        if denied
        else [],
        "defaultNamespace": nc.default_namespace,
        "allowUserNamespace": nc.allow_user_namespace and not nc.deny_user_namespace,
    }


def _impersonation_summary(imp: ImpersonationConfig | None) -> dict[str, Any] | None:
    ref = imp.service_account_ref if imp is not None else None
    return {"enabled": True, "serviceAccount": ref.name, "namespace": ref.namespace} if ref is not None else None


def _cluster_entry(
    cluster: ClusterConfig,
    limits: EffectiveConstraints,
    approvers: Approvers | None,
    who: Identity,
    namespaces: NamespaceConstraints | None = None,
    impersonation: ImpersonationConfig | None = None,
) -> dict[str, Any]:
    """One cluster of the two-step create flow: where, how long, which namespaces, and who approves."""
    policy = approval_policy(approvers, cluster.name, who.groups)
    return {
        "name": cluster.name,
        "displayName": cluster.spec.display_name or cluster.name,
        "environment": cluster.metadata.labels.get("environment", ""),
        "location": cluster.metadata.labels.get("location", ""),
        "constraints": {"maxDuration": limits.max_duration, "defaultDuration": limits.default_duration},
        "namespaceConstraints": _namespace_summary(namespaces),
        "impersonation": _impersonation_summary(impersonation or cluster.spec.impersonation),
        "approval": {
            "required": bool(approvers and (approvers.users or approvers.groups)),
            "approverGroups": list(policy.approver_groups),
            "approverUsers": list(policy.approver_users),
            "canAutoApprove": not policy.required,
        },
    }


def _template_view(catalog: Catalog, template: DebugSessionTemplate, who: Identity) -> dict[str, Any]:
    s = template.spec
    options = s.scheduling_options
    clusters = _clusters(catalog, template, who)
    return {
        "name": template.metadata.name,
        "displayName": s.display_name,
        "description": s.description,
        "mode": s.mode,
        "workloadType": s.workload_type or ("DaemonSet" if s.mode != "kubectl-debug" else ""),
        "podTemplateRef": s.pod_template_ref.name if s.pod_template_ref else "",
        "targetNamespace": s.target_namespace,
        "constraints": s.constraints.model_dump(mode="json", by_alias=True, exclude_none=True)
        if s.constraints
        else None,
        "requiresApproval": bool(s.approvers and (s.approvers.users or s.approvers.groups)),
        "schedulingOptions": {
            "required": options.required,
            "options": [
                o.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"allowed_groups", "allowed_users"})
                for o in options.options
                if option_admits(o, who)
            ],
        }
        if options
        else None,
        "extraDeployVariables": [
            v.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"allowed_groups"})
            for v in s.extra_deploy_variables
            if not v.allowed_groups or set(v.allowed_groups) & set(who.groups)
        ],
        "allowedPodOperations": s.allowed_pod_operations.model_dump(mode="json", by_alias=True)
        if s.allowed_pod_operations
        else None,
        "priority": s.priority,
        "hidden": s.hidden,
        "deprecated": s.deprecated,
        "deprecationMessage": s.deprecation_message,
        "hasAvailableClusters": bool(clusters),
        "availableClusterCount": len(clusters),
    }


@templates_router.get("")
async def list_templates(
    who: Caller, catalog: CatalogDep, includeHidden: bool = False, includeUnavailable: bool = False
) -> dict[str, Any]:
    """Templates the caller may use (priority first, then name)."""
    views = []
    for t in catalog.session_templates.values():
        if (t.spec.hidden and not includeHidden) or not _visible(catalog, t, who):
            continue
        view = _template_view(catalog, t, who)
        if view["availableClusterCount"] == 0 and not includeUnavailable:
            continue
        views.append(view)
    views.sort(key=lambda v: (-v["priority"], v["name"]))
    return {"templates": views, "total": len(views)}


def _readable(catalog: Catalog, name: str, who: Identity) -> DebugSessionTemplate:
    template = catalog.session_templates.get(name)
    if template is None:
        raise ApiError(404, "template not found")
    if not _visible(catalog, template, who):
        raise ApiError(403, "access denied to this template")
    return template


@templates_router.get("/{name}")
async def get_template(name: str, who: Caller, catalog: CatalogDep) -> dict[str, Any]:
    """One template (hidden ones too)."""
    return _template_view(catalog, _readable(catalog, name, who), who)


@templates_router.get("/{name}/clusters")
async def template_clusters(
    state: State,
    name: str,
    who: Caller,
    catalog: CatalogDep,
    environment: str | None = None,
    location: str | None = None,
    bindingName: str | None = None,
) -> dict[str, Any]:
    """Per-cluster details for the two-step create flow."""
    template = _readable(catalog, name, who)
    clusters = [
        c
        for c in _clusters(catalog, template, who, state.health.status)
        if (environment is None or c["environment"] == environment)
        and (location is None or c["location"] == location)
        and (bindingName is None or c.get("bindingRef", {}).get("name") == bindingName)
    ]
    return {"templateName": name, "templateDisplayName": template.spec.display_name, "clusters": clusters}


def _pod_template_view(name: str, catalog: Catalog) -> dict[str, Any]:
    t = catalog.pod_templates[name]
    containers = len(t.spec.template.spec.containers) if t.spec.template else 0
    return {
        "name": name,
        "displayName": t.spec.display_name,
        "description": t.spec.description,
        "containers": containers,
    }


@pod_templates_router.get("")
async def list_pod_templates(who: Caller, catalog: CatalogDep) -> dict[str, Any]:
    """Every pod template (any authenticated caller)."""
    views = [_pod_template_view(n, catalog) for n in sorted(catalog.pod_templates)]
    return {"templates": views, "total": len(views)}


@pod_templates_router.get("/{name}")
async def get_pod_template(name: str, who: Caller, catalog: CatalogDep) -> dict[str, Any]:
    """One pod template."""
    if name not in catalog.pod_templates:
        raise ApiError(404, "pod template not found")
    return _pod_template_view(name, catalog)
