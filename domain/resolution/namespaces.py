"""Target namespace resolution (docs/behaviour/resolution.md#target-namespace) and label-based namespace filters.

Patterns are decided at create time. `selectorTerms` need the live namespace's labels, which only the
cluster has: such checks are returned as `NamespaceLabelCheck`s for the workflow to evaluate against the
cluster before deploying, failing closed when the labels cannot be read (DESIGN decision 13).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.base import Frozen
from domain.globs import match_pattern
from domain.meta import LabelSelectorRequirement
from domain.namespaces import NamespaceConstraints, NamespaceFilter, NamespaceSelectorTerm
from domain.resolution.errors import bad_request

FALLBACK_NAMESPACE = "breakglass-debug"


class NamespaceLabelCheck(Frozen):
    """A namespace filter that patterns could not decide; evaluate it on the live namespace's labels."""

    kind: Literal["allow", "deny"]
    source: str
    """`template 't'` or `binding 'ns/name'`, for the message."""
    filter: NamespaceFilter


class NamespaceResolution(Frozen):
    """Where the session deploys, and what must still be checked on the cluster."""

    namespace: str
    defaulted: bool = False
    label_checks: tuple[NamespaceLabelCheck, ...] = ()
    create_if_not_exists: bool = False
    namespace_labels: dict[str, str] = Field(default_factory=dict)


def term_matches(term: NamespaceSelectorTerm, labels: dict[str, str]) -> bool:
    """Kubernetes selector semantics within one term (matchLabels AND matchExpressions)."""
    if any(labels.get(k) != v for k, v in term.match_labels.items()):
        return False
    return all(requirement_matches(r, labels) for r in term.match_expressions)


def requirement_matches(req: LabelSelectorRequirement, labels: dict[str, str]) -> bool:
    """In / NotIn (true when the key is absent) / Exists / DoesNotExist."""
    present = req.key in labels
    if req.operator == "In":
        return present and labels[req.key] in req.values
    if req.operator == "NotIn":
        return not present or labels[req.key] not in req.values
    if req.operator == "Exists":
        return present
    return not present


def filter_matches(flt: NamespaceFilter, namespace: str, labels: dict[str, str]) -> bool:
    """Any pattern OR any selector term."""
    return any(match_pattern(p, namespace) for p in flt.patterns) or any(
        term_matches(t, labels) for t in flt.selector_terms
    )


def describe(flt: NamespaceFilter) -> str:
    """`(patterns=[a b], selectorTerms=N)` as the reference prints it."""
    return f"(patterns=[{' '.join(flt.patterns)}], selectorTerms={len(flt.selector_terms)})"


def evaluate_label_checks(
    checks: tuple[NamespaceLabelCheck, ...], namespace: str, labels: dict[str, str] | None, reason: str = ""
) -> str | None:
    """Evaluate the pending checks on the namespace's labels; the failure message, or None when allowed.

    `labels=None` means they could not be read (missing namespace, API error): fail closed with `reason`.
    """
    for check in checks:
        field = "allowedNamespaces" if check.kind == "allow" else "deniedNamespaces"
        where = f"{check.source} spec.namespaceConstraints.{field} {describe(check.filter)}"
        if labels is None:
            return f"namespace '{namespace}': {where} requires namespace labels: {reason or 'labels unavailable'}"
        matched = filter_matches(check.filter, namespace, labels)
        if check.kind == "allow" and not matched:
            return f"namespace '{namespace}' is not in the allowed namespaces: {where} does not match"
        if check.kind == "deny" and matched:
            return f"namespace '{namespace}' is explicitly denied by {where}"
    return None


def _merge(template: NamespaceConstraints | None, binding: NamespaceConstraints | None) -> NamespaceConstraints | None:
    if template is None or binding is None:
        return template or binding
    default = template.default_namespace
    if binding.given("default_namespace") and all(
        _patterns_allow(side.allowed_namespaces, binding.default_namespace) for side in (template, binding)
    ):
        default = binding.default_namespace
    denied = NamespaceFilter(
        patterns=[
            *_filter(template.denied_namespaces).patterns,
            *_filter(binding.denied_namespaces).patterns,
        ],
        selector_terms=[
            *_filter(template.denied_namespaces).selector_terms,
            *_filter(binding.denied_namespaces).selector_terms,
        ],
    )
    allowed = binding.allowed_namespaces if not _filter(binding.allowed_namespaces).is_empty() else None
    return NamespaceConstraints(
        allowed_namespaces=allowed or template.allowed_namespaces,
        denied_namespaces=denied if not denied.is_empty() else None,
        default_namespace=default,
        allow_user_namespace=template.allow_user_namespace,
        deny_user_namespace=bool(template.deny_user_namespace or binding.deny_user_namespace),
        create_if_not_exists=binding.create_if_not_exists
        if binding.given("create_if_not_exists")
        else template.create_if_not_exists,
        namespace_labels={**template.namespace_labels, **binding.namespace_labels},
    )


def _filter(flt: NamespaceFilter | None) -> NamespaceFilter:
    return flt if flt is not None else NamespaceFilter()


def _patterns_allow(flt: NamespaceFilter | None, namespace: str) -> bool:
    f = _filter(flt)
    return not f.patterns or any(match_pattern(p, namespace) for p in f.patterns) or bool(f.selector_terms)


def resolve_namespace(
    requested: str,
    template: NamespaceConstraints | None,
    binding: NamespaceConstraints | None,
    template_name: str,
    binding_ref: str | None,
    template_target_namespace: str = FALLBACK_NAMESPACE,
) -> NamespaceResolution:
    """Pick and check the target namespace; raise a 400 AdmissionError with the reference's message."""
    nc = _merge(template, binding)
    if nc is None:
        # Reference quirk kept: without namespaceConstraints any requested namespace is accepted. When none
        # is requested we use the template's targetNamespace (the reference does so at deploy time).
        if requested:
            return NamespaceResolution(namespace=requested)
        return NamespaceResolution(namespace=template_target_namespace or FALLBACK_NAMESPACE, defaulted=True)
    default = nc.default_namespace or FALLBACK_NAMESPACE
    sides = [(f"template '{template_name}'", template)]
    if binding is not None and binding_ref is not None:
        sides.append((f"binding '{binding_ref}'", binding))
    if not requested or requested == nc.default_namespace:
        checks = _check_filters(requested or default, default, sides)
        return _resolution(requested or default, not requested, checks, nc)
    if nc.deny_user_namespace:
        who = [s for s, c in sides if c is not None and c.deny_user_namespace]
        raise bad_request(
            f"{' and '.join(who)} does not allow user-specified namespaces: "
            f"namespaceConstraints.denyUserNamespace=true, only defaultNamespace '{default}' may be used"
        )
    if not nc.allow_user_namespace:
        raise bad_request(
            f"template '{template_name}' does not allow user-specified namespaces: "
            f"namespaceConstraints.allowUserNamespace=false, only defaultNamespace '{default}' may be used"
        )
    return _resolution(requested, False, _check_filters(requested, default, sides), nc)


def _resolution(
    namespace: str, defaulted: bool, checks: list[NamespaceLabelCheck], nc: NamespaceConstraints
) -> NamespaceResolution:
    return NamespaceResolution(
        namespace=namespace,
        defaulted=defaulted,
        label_checks=tuple(checks),
        create_if_not_exists=nc.create_if_not_exists,
        namespace_labels=nc.namespace_labels,
    )


def _check_filters(
    namespace: str, default: str, sides: list[tuple[str, NamespaceConstraints | None]]
) -> list[NamespaceLabelCheck]:
    """Decide what patterns can; return the remaining label checks (docs/behaviour/resolution.md#namespace-filters)."""
    pending: list[NamespaceLabelCheck] = []
    allow_sides = [
        (src, c.allowed_namespaces)
        for src, c in sides
        if c is not None and not _filter(c.allowed_namespaces).is_empty()
    ]
    if not allow_sides and namespace != default:
        raise bad_request(
            f"namespace '{namespace}' is not in the allowed namespaces: no namespaceConstraints.allowedNamespaces "
            f"is configured, so only defaultNamespace '{default}' is allowed"
        )
    for src, flt in allow_sides:
        assert flt is not None
        if any(match_pattern(p, namespace) for p in flt.patterns):
            continue
        if not flt.selector_terms:
            raise bad_request(
                f"namespace '{namespace}' is not in the allowed namespaces: {src} "
                f"spec.namespaceConstraints.allowedNamespaces {describe(flt)} does not match"
            )
        pending.append(NamespaceLabelCheck(kind="allow", source=src, filter=flt))
    for src, c in sides:
        flt = _filter(c.denied_namespaces if c is not None else None)
        if any(match_pattern(p, namespace) for p in flt.patterns):
            raise bad_request(
                f"namespace '{namespace}' is explicitly denied by {src} "
                f"spec.namespaceConstraints.deniedNamespaces {describe(flt)}"
            )
        if flt.selector_terms:
            pending.append(NamespaceLabelCheck(kind="deny", source=src, filter=flt))
    return pending
