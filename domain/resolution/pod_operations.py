"""Allowed pod operations: template defaults, restricted (never widened) by the binding.

See docs/behaviour/resolution.md#allowed-pod-operations.
"""

from __future__ import annotations

from domain.policy import AllowedPodOperations

OPERATIONS = ("exec", "attach", "logs", "port_forward")
SUBRESOURCE_TO_OPERATION = {"exec": "exec", "attach": "attach", "log": "logs", "portforward": "port_forward"}
DEFAULT = AllowedPodOperations()
"""exec, attach and port-forward allowed; logs denied (the seed's backward-compatible default)."""


def merge_pod_operations(
    template: AllowedPodOperations | None, binding: AllowedPodOperations | None
) -> AllowedPodOperations:
    """Template values (defaults where absent); a binding can only turn operations off.

    A binding field the manifest did not state keeps the template's value; a template `false` stays false.
    """
    base = template if template is not None else DEFAULT
    if binding is None:
        return AllowedPodOperations(**{op: getattr(base, op) for op in OPERATIONS})
    return AllowedPodOperations(
        **{op: getattr(base, op) and (getattr(binding, op) if binding.given(op) else True) for op in OPERATIONS}
    )


def allows(ops: AllowedPodOperations, subresource: str) -> bool:
    """Whether a pod subresource (`exec`, `attach`, `log`, `portforward`) is allowed."""
    op = SUBRESOURCE_TO_OPERATION.get(subresource)
    return op is not None and bool(getattr(ops, op))
