"""Scheduling: merge mandatory constraints (template + binding) and the user's option.

See docs/behaviour/resolution.md#scheduling.
"""

from __future__ import annotations

import re
from typing import Any

from domain.base import Frozen
from domain.globs import match_pattern
from domain.identity import Identity, user_pattern_match
from domain.resolution.errors import bad_request, forbidden
from domain.scheduling import SchedulingConstraints, SchedulingOption, SchedulingOptions

MAX_AFFINITY_TERMS = 128
_QUALIFIED_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                             r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")  # fmt: skip
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class MergeConflict(ValueError):
    """Two constraint sets cannot both hold; the message says which field and values."""


class SchedulingResolution(Frozen):
    """The constraints the pods will carry, and the option that was applied."""

    constraints: SchedulingConstraints | None
    selected_option: str = ""
    warnings: tuple[str, ...] = ()


def merge(base: SchedulingConstraints | None, extra: SchedulingConstraints | None) -> SchedulingConstraints | None:
    """Lay `extra` onto `base`: additive, never loosening; conflicting exact values raise MergeConflict."""
    if extra is None:
        return base
    if base is None:
        return extra.model_copy(deep=True)
    node_selector = dict(base.node_selector)
    for key, value in extra.node_selector.items():
        if key in node_selector and node_selector[key] != value:
            raise MergeConflict(f'nodeSelector "{key}" requires both "{node_selector[key]}" and "{value}"')
        node_selector[key] = value
    denied_labels = dict(base.denied_node_labels)
    for key, value in extra.denied_node_labels.items():
        current = denied_labels.get(key)
        if current is None or value == "*":
            denied_labels[key] = value
        elif current not in ("*", value):
            raise MergeConflict(f'deniedNodeLabels "{key}" cannot add both "{current}" and "{value}"')
    return SchedulingConstraints(
        node_selector=node_selector,
        required_node_affinity=and_node_selectors(base.required_node_affinity, extra.required_node_affinity),
        preferred_node_affinity=[*base.preferred_node_affinity, *extra.preferred_node_affinity],
        required_pod_anti_affinity=[*base.required_pod_anti_affinity, *extra.required_pod_anti_affinity],
        preferred_pod_anti_affinity=[*base.preferred_pod_anti_affinity, *extra.preferred_pod_anti_affinity],
        tolerations=[*base.tolerations, *extra.tolerations],
        topology_spread_constraints=[*base.topology_spread_constraints, *extra.topology_spread_constraints],
        denied_nodes=[*base.denied_nodes, *(n for n in extra.denied_nodes if n not in base.denied_nodes)],
        denied_node_labels=denied_labels,
    )


def and_node_selectors(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    """AND two NodeSelectors: the cross product of their terms (terms are OR-ed inside each).

    Raises MergeConflict when the product would exceed MAX_AFFINITY_TERMS.
    """
    if not a or not a.get("nodeSelectorTerms"):
        return b
    if not b or not b.get("nodeSelectorTerms"):
        return a
    left, right = a["nodeSelectorTerms"], b["nodeSelectorTerms"]
    if len(left) * len(right) > MAX_AFFINITY_TERMS:
        raise MergeConflict(
            f"requiredNodeAffinity would have {len(left) * len(right)} terms (more than {MAX_AFFINITY_TERMS})"
        )
    terms = [
        {
            key: [*x.get(key, []), *y.get(key, [])]
            for key in ("matchExpressions", "matchFields")
            if x.get(key) or y.get(key)
        }
        for x in left
        for y in right
    ]
    return {"nodeSelectorTerms": terms}


def validate(constraints: SchedulingConstraints | None) -> None:
    """≤128 required affinity terms; deniedNodeLabels keys are qualified names, values `*` or label values."""
    if constraints is None:
        return
    terms = (constraints.required_node_affinity or {}).get("nodeSelectorTerms") or []
    if len(terms) > MAX_AFFINITY_TERMS:
        raise bad_request(
            f"invalid scheduling constraints: requiredNodeAffinity has {len(terms)} terms (max {MAX_AFFINITY_TERMS})"
        )
    for key, value in constraints.denied_node_labels.items():
        if not _QUALIFIED_NAME.match(key):
            raise bad_request(f'invalid scheduling constraints: deniedNodeLabels key "{key}" is not a qualified name')
        if value != "*" and (len(value) > 63 or not _LABEL_VALUE.match(value)):
            raise bad_request(
                f'invalid scheduling constraints: deniedNodeLabels value "{value}" is not "*" or a label value'
            )


def option_admits(option: SchedulingOption, who: Identity) -> bool:
    """An option without allowedUsers/allowedGroups is open; otherwise a user or group glob must match."""
    if not option.allowed_users and not option.allowed_groups:
        return True
    if any(user_pattern_match(u, who) for u in option.allowed_users):
        return True
    return any(match_pattern(p, g) for p in option.allowed_groups for g in who.groups)


def resolve_scheduling(
    template_constraints: SchedulingConstraints | None,
    binding_constraints: SchedulingConstraints | None,
    template_options: SchedulingOptions | None,
    binding_options: SchedulingOptions | None,
    selected: str,
    who: Identity,
) -> SchedulingResolution:
    """Merged base, then the selected (or default) option merged on top (docs/behaviour/resolution.md#scheduling)."""
    try:
        base = merge(template_constraints, binding_constraints)
    except MergeConflict as exc:
        raise bad_request(f"binding scheduling constraints conflict with template constraints: {exc}") from exc
    validate(base)
    options = binding_options if binding_options is not None else template_options
    if options is None or not options.options:
        warnings = (
            (f"Scheduling option '{selected}' was ignored (template has no scheduling options)",) if selected else ()
        )
        return SchedulingResolution(constraints=base, warnings=warnings)
    warnings = ()
    if not selected:
        if not options.required:
            return SchedulingResolution(constraints=base)
        default = next((o for o in options.options if o.default), None)
        if default is None:
            raise bad_request("scheduling option is required but none selected and no default defined")
        selected = default.name
        warnings = (f"Scheduling option defaulted to '{selected}'",)
    option = next((o for o in options.options if o.name == selected), None)
    if option is None:
        raise bad_request(f"scheduling option '{selected}' not found in template or binding")
    if not option_admits(option, who):
        raise forbidden(f"user is not allowed to select scheduling option '{selected}'")
    try:
        merged = merge(base, option.scheduling_constraints)
    except MergeConflict as exc:
        raise bad_request(f'scheduling option "{selected}" conflicts with mandatory constraints: {exc}') from exc
    return SchedulingResolution(constraints=merged, selected_option=selected, warnings=warnings)
