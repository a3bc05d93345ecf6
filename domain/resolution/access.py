"""Who may use which template on which cluster through which binding.

See docs/behaviour/resolution.md#template-access and docs/behaviour/api.md#template-visibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.binding import DebugSessionClusterBinding
from domain.catalog.catalog import Catalog, bound_clusters, selector_matches
from domain.cluster import ClusterConfig
from domain.identity import Identity, group_pattern_match, user_pattern_match
from domain.policy import AllowedSubjects
from domain.resolution.errors import AdmissionError, forbidden
from domain.session_template import DebugSessionTemplate

NOT_ALLOWED = "user is not allowed to request this debug session"


def allowlist_admits(allowed: AllowedSubjects | None, who: Identity) -> bool:
    """`allowed` nil or without users and groups admits everyone; otherwise a user or group must match."""
    if allowed is None or (not allowed.users and not allowed.groups):
        return True
    return any(user_pattern_match(u, who) for u in allowed.users) or group_pattern_match(allowed.groups, who)


def effective_allowlist(template: DebugSessionTemplate, binding: DebugSessionClusterBinding) -> AllowedSubjects | None:
    """A binding's `allowed` replaces the template's only when it names at least one user or group."""
    b = binding.spec.allowed
    if b is not None and (b.users or b.groups):
        return b
    return template.spec.allowed


def binding_active(binding: DebugSessionClusterBinding, now: datetime) -> bool:
    """Not disabled, not past expiresAt, not before effectiveFrom."""
    s = binding.spec
    if s.disabled:
        return False
    if s.expires_at is not None and now >= s.expires_at:
        return False
    return not (s.effective_from is not None and now < s.effective_from)


def binding_applies_to(binding: DebugSessionClusterBinding, template: DebugSessionTemplate) -> bool:
    """The binding names the template (templateRef) or selects it by its labels (templateSelector)."""
    if binding.spec.template_ref is not None:
        return binding.spec.template_ref.name == template.metadata.name
    sel = binding.spec.template_selector
    return sel is not None and selector_matches(sel, template.metadata.labels)


def binding_covers(catalog: Catalog, binding: DebugSessionClusterBinding, cluster: str) -> bool:
    """The cluster is listed explicitly or matched by the binding's clusterSelector."""
    return cluster in bound_clusters(catalog, binding)


def applicable_bindings(
    catalog: Catalog, template: DebugSessionTemplate, now: datetime
) -> list[DebugSessionClusterBinding]:
    """Active bindings of the template, in namespace/name order."""
    return [
        catalog.bindings[key]
        for key in sorted(catalog.bindings, key=lambda k: tuple(k.split("/", 1)))
        if binding_active(catalog.bindings[key], now) and binding_applies_to(catalog.bindings[key], template)
    ]


@dataclass(frozen=True)
class ClusterLookup:
    """Outcome of resolving the requested cluster string (errors are raised later, after authorization)."""

    cluster: ClusterConfig | None
    error: AdmissionError | None


def lookup_cluster(catalog: Catalog, requested: str, unready: frozenset[str] = frozenset()) -> ClusterLookup:
    """By exact name, else by unique tenant alias (docs/behaviour/resolution.md#cluster-lookup)."""
    if requested in catalog.clusters:
        found = catalog.clusters[requested]
    else:
        by_tenant = [c for c in catalog.clusters.values() if c.spec.tenant == requested]
        if len(by_tenant) > 1:
            return ClusterLookup(None, forbidden(f"cluster '{requested}' matches multiple ClusterConfig tenants"))
        if not by_tenant:
            return ClusterLookup(None, forbidden(f"cluster '{requested}' is not configured for debug sessions"))
        found = by_tenant[0]
    if found.name in unready:
        return ClusterLookup(found, forbidden(f"cluster '{requested}' is not ready for debug sessions"))
    return ClusterLookup(found, None)
