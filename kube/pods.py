"""A pod as the session status shows it: readiness, phase, and the container problem that matters."""

from __future__ import annotations

from typing import Any

from domain.session import AllowedPod, ContainerStatusSummary

# Waiting reasons worth showing, most telling first (CrashLoopBackOff wins).
PROBLEM_REASONS = (
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "ContainerCreating",
)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if obj is None:
            return None
        obj = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    return obj


def allowed_pod(pod: Any) -> AllowedPod:
    """Summarise a pod (a client model or a dict) for `status.allowedPods`."""
    conditions = _get(pod, "status", "conditions") or []
    ready = any(_get(c, "type") == "Ready" and _get(c, "status") == "True" for c in conditions)
    statuses = list(_get(pod, "status", "container_statuses") or _get(pod, "status", "containerStatuses") or [])
    return AllowedPod(
        namespace=_get(pod, "metadata", "namespace") or "",
        name=_get(pod, "metadata", "name") or "",
        node_name=_get(pod, "spec", "node_name") or _get(pod, "spec", "nodeName") or "",
        ready=ready,
        phase=_get(pod, "status", "phase") or "",
        container_status=container_summary(statuses),
    )


def container_summary(statuses: list[Any]) -> ContainerStatusSummary | None:
    """The most telling container problem, else restart count and last termination reason."""
    waiting = [
        (_get(s, "state", "waiting", "reason") or "", _get(s, "state", "waiting", "message") or "") for s in statuses
    ]
    for reason in PROBLEM_REASONS:
        for found, message in waiting:
            if found == reason:
                return ContainerStatusSummary(
                    waiting_reason=found, waiting_message=message, restart_count=_restarts(statuses)
                )
    restarts = _restarts(statuses)
    last = ""
    for s in statuses:
        terminated = _get(s, "last_state", "terminated") or _get(s, "lastState", "terminated")
        if terminated is not None:
            last = (
                _get(terminated, "reason")
                or f"ExitCode={_get(terminated, 'exit_code') or _get(terminated, 'exitCode')}"
            )
    if restarts == 0 and not last:
        return None
    return ContainerStatusSummary(restart_count=restarts, last_termination_reason=last)


def _restarts(statuses: list[Any]) -> int:
    return sum(int(_get(s, "restart_count") or _get(s, "restartCount") or 0) for s in statuses)
