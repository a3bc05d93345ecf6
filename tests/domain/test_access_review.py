"""SubjectAccessReview decisions as a matrix, including the reference's June-2026 authorization bugs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access_review import IndexedSession, ReviewSpec, decide

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SESSION = IndexedSession(
    name="debug-alice-prod-1",
    cluster="prod",
    live_until=NOW + timedelta(hours=1),
    pods=frozenset({"debug/pod-a", "debug/pod-b"}),
    operations=frozenset({"exec", "attach", "portforward"}),
    operators={"alice": "owner", "bob": "participant"},  # viewers and departed users are never operators
)


def review(
    user: str, subresource: str = "exec", pod: str = "pod-a", namespace: str = "debug", resource: str = "pods"
) -> ReviewSpec:
    return ReviewSpec.model_validate(
        {
            "resourceAttributes": {
                "namespace": namespace,
                "verb": "create",
                "group": "",
                "version": "v1",
                "resource": resource,
                "subresource": subresource,
                "name": pod,
            },
            "user": user,
            "groups": ["system:authenticated"],
        }
    )


CASES = [
    (
        "owner may exec",
        "alice",
        "exec",
        "pod-a",
        "prod",
        NOW,
        True,
        "debug session debug-alice-prod-1: alice (owner) may exec pod debug/pod-a",
    ),
    (
        "participant may attach",
        "bob",
        "attach",
        "pod-b",
        "prod",
        NOW,
        True,
        "debug session debug-alice-prod-1: bob (participant) may attach pod debug/pod-b",
    ),
    (
        "participant may port-forward",
        "bob",
        "portforward",
        "pod-a",
        "prod",
        NOW,
        True,
        "debug session debug-alice-prod-1: bob (participant) may portforward pod debug/pod-a",
    ),
    (
        "logs not allowed by the template",
        "alice",
        "log",
        "pod-a",
        "prod",
        NOW,
        False,
        "debug session debug-alice-prod-1 does not allow log (allowedPodOperations)",
    ),
    (
        "REF-BUG viewer (self-service role) cannot exec",
        "victor",
        "exec",
        "pod-a",
        "prod",
        NOW,
        False,
        "no active debug session on cluster prod grants exec on pod debug/pod-a to victor",
    ),
    (
        "REF-BUG departed participant keeps no exec",
        "dora",
        "exec",
        "pod-a",
        "prod",
        NOW,
        False,
        "no active debug session on cluster prod grants exec on pod debug/pod-a to dora",
    ),
    (
        "stranger",
        "eve",
        "exec",
        "pod-a",
        "prod",
        NOW,
        False,
        "no active debug session on cluster prod grants exec on pod debug/pod-a to eve",
    ),
    (
        "pod not in allowedPods",
        "alice",
        "exec",
        "app-pod",
        "prod",
        NOW,
        False,
        "no active debug session on cluster prod grants exec on pod debug/app-pod to alice",
    ),
    (
        "REF-BUG session from another cluster",
        "alice",
        "exec",
        "pod-a",
        "staging",
        NOW,
        False,
        "no active debug session on cluster staging grants exec on pod debug/pod-a to alice",
    ),
    (
        "REF-BUG past expiresAt at decision time",
        "alice",
        "exec",
        "pod-a",
        "prod",
        NOW + timedelta(hours=1),
        False,
        "no active debug session on cluster prod grants exec on pod debug/pod-a to alice",
    ),
    (
        "not a debug operation",
        "alice",
        "eviction",
        "pod-a",
        "prod",
        NOW,
        False,
        "pods/eviction is not a debug-session operation",
    ),
]


@pytest.mark.parametrize(
    ("user", "sub", "pod", "cluster", "now", "allowed", "reason"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_decision_matrix(
    user: str, sub: str, pod: str, cluster: str, now: datetime, allowed: bool, reason: str
) -> None:
    decision = decide([SESSION], cluster, review(user, sub, pod), now)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_non_pod_resources_get_no_opinion() -> None:
    decision = decide([SESSION], "prod", review("alice", "", "x", resource="secrets"), NOW)
    assert (decision.allowed, decision.reason) == (False, "not a pod request: no opinion from debug sessions")


def test_nameless_pod_request_gets_no_opinion() -> None:
    decision = decide([SESSION], "prod", review("alice", "exec", ""), NOW)
    assert decision == decision.model_copy(
        update={"allowed": False, "reason": "a pod name and namespace are required for a debug-session decision"}
    )
