"""kubectl-debug policy as tables: required fields, namespace filters, images, capabilities, nodes."""

from __future__ import annotations

from typing import Any

import pytest

from domain import debug_operations as ops
from domain.kubectl_debug import EphemeralContainersConfig, KubectlDebugConfig, NodeDebugConfig, PodCopyConfig
from domain.namespaces import NamespaceFilter
from domain.refusal import Refusal


def inject(**changes: Any) -> ops.EphemeralContainerRequest:
    body = {"namespace": "app-shop", "podName": "web-1", "containerName": "dbg", "image": "busybox:1.36"}
    body.update(changes)
    return ops.EphemeralContainerRequest.model_validate(body)


def ephemeral(**changes: Any) -> EphemeralContainersConfig:
    data: dict[str, Any] = {"enabled": True, "requireNonRoot": False}
    data.update(changes)
    return EphemeralContainersConfig.model_validate(data)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "namespace is required"),
        ({"namespace": "a"}, "podName is required"),
        ({"namespace": "a", "podName": "p"}, "containerName is required"),
        ({"namespace": "a", "podName": "p", "containerName": "c", "image": "  "}, "image is required"),
        ({"namespace": " ", "podName": "", "containerName": "", "image": ""}, "namespace is required"),
    ],
)
def test_required_fields_in_the_reference_order(body: dict[str, Any], message: str) -> None:
    assert ops.missing_field(ops.EphemeralContainerRequest.model_validate(body)) == Refusal(400, message)


def test_required_fields_of_the_other_operations() -> None:
    assert ops.missing_field(ops.PodCopyRequest()) == Refusal(400, "namespace is required")
    assert ops.missing_field(ops.PodCopyRequest(namespace="a")) == Refusal(400, "podName is required")
    assert ops.missing_field(ops.NodeDebugPodRequest()) == Refusal(400, "nodeName is required")
    assert ops.missing_field(ops.NodeDebugPodRequest(node_name="n1")) is None


def test_security_context_is_checked_like_the_apiserver_would() -> None:
    bad = inject(securityContext={"privileged": "yes"})
    refusal = ops.missing_field(bad)
    assert refusal is not None
    assert refusal.status == 400
    assert refusal.message.startswith("invalid request body: securityContext.privileged: must be a boolean")
    unknown = ops.missing_field(inject(securityContext={"privilegd": True}))
    assert unknown is not None
    assert 'unknown field "privilegd"' in unknown.message


def test_unknown_body_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="extra"):
        ops.PodCopyRequest.model_validate({"namespace": "a", "podName": "p", "ttl": "1h"})


def test_configured_and_enabled() -> None:
    assert ops.ephemeral_config(None) == Refusal(400, "ephemeral containers not configured in template")
    off = KubectlDebugConfig.model_validate({"ephemeralContainers": {"enabled": False}})
    assert ops.ephemeral_config(off) == Refusal(400, "ephemeral containers are not enabled for this template")
    assert ops.pod_copy_config(KubectlDebugConfig()) == Refusal(400, "pod copy not configured in template")
    assert ops.pod_copy_config(KubectlDebugConfig.model_validate({"podCopy": {}})) == Refusal(
        400, "pod copy is not enabled for this template"
    )
    assert ops.node_debug_config(KubectlDebugConfig()) == Refusal(400, "node debug not configured in template")
    assert ops.node_debug_config(KubectlDebugConfig.model_validate({"nodeDebug": {}})) == Refusal(
        400, "node debug is not enabled for this template"
    )
    on = KubectlDebugConfig.model_validate({"nodeDebug": {"enabled": True}})
    assert isinstance(ops.node_debug_config(on), NodeDebugConfig)


ALLOW_APPS = NamespaceFilter.model_validate({"patterns": ["app-*"]})
DENY_SYSTEM = NamespaceFilter.model_validate({"patterns": ["kube-*"]})
BY_LABEL = NamespaceFilter.model_validate({"selectorTerms": [{"matchLabels": {"debug": "ok"}}]})


@pytest.mark.parametrize(
    ("allowed", "denied", "namespace", "labels", "expected"),
    [
        (None, None, "anything", {}, True),
        (ALLOW_APPS, None, "app-shop", {}, True),
        (ALLOW_APPS, None, "payments", {}, False),
        (None, DENY_SYSTEM, "kube-system", {}, False),
        (NamespaceFilter.model_validate({"patterns": ["*"]}), DENY_SYSTEM, "kube-public", {}, False),  # deny wins
        (BY_LABEL, None, "payments", {"debug": "ok"}, True),
        (BY_LABEL, None, "payments", {}, False),
        (None, BY_LABEL, "payments", {"debug": "ok"}, False),
    ],
)
def test_namespace_filters(
    allowed: NamespaceFilter | None, denied: NamespaceFilter | None, namespace: str, labels: dict[str, str],
    expected: bool,
) -> None:  # fmt: skip
    assert ops.namespace_allowed(allowed, denied, namespace, labels) is expected


def test_labels_are_read_only_for_selector_terms() -> None:
    assert not ops.needs_namespace_labels(ALLOW_APPS, DENY_SYSTEM)
    assert ops.needs_namespace_labels(None, BY_LABEL)
    assert ops.needs_namespace_labels(BY_LABEL, None)


@pytest.mark.parametrize(
    ("allowed", "image", "expected"),
    [
        ([], "gcr.io/x/img:1", True),
        (["busybox:*"], "busybox:1.36", True),
        (["busybox:*"], "evil/busybox:1.36", False),
        (["*"], "gcr.io/x/img:1", False),  # `*` never crosses `/` (path glob)
        (["*"], "busybox", True),
        (["gcr.io/x/*"], "gcr.io/x/img:1", True),
        (["busybox:1.36"], "busybox:1.36.1", False),  # exact entries do not allow longer tags
        (["registry.io/tools@sha256:*"], "registry.io/tools@sha256:" + "a" * 64, True),
        (["registry.io/tools@sha256:*"], "registry.io/tools:latest", False),
    ],
)
def test_image_allow_list(allowed: list[str], image: str, expected: bool) -> None:
    assert ops.image_allowed(allowed, image) is expected


@pytest.mark.parametrize(
    ("config", "changes", "expected"),
    [
        ({}, {}, None),
        (
            {"deniedNamespaces": {"patterns": ["app-*"]}},
            {"image": "evil:1"},
            (403, "namespace app-shop is not allowed for ephemeral container injection"),
        ),  # namespace before image
        ({"allowedImages": ["alpine:*"]}, {}, (403, "image busybox:1.36 is not in the allowed list")),
        ({"requireImageDigest": True}, {}, (403, "image must use @sha256: digest")),
        (
            {"requireImageDigest": True, "allowedImages": ["alpine:*"]},
            {},
            (403, "image busybox:1.36 is not in the allowed list"),
        ),  # image list before digest
        ({"maxCapabilities": ["net_admin"]}, {"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}, None),
        (
            {"maxCapabilities": ["NET_ADMIN"]},
            {"securityContext": {"capabilities": {"add": ["sys_admin"]}}},
            (403, "capability sys_admin is not allowed"),
        ),
        ({}, {"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}, None),  # empty list: no limit (ref)
        ({}, {"securityContext": {"privileged": True}}, (403, "privileged ephemeral containers are not allowed")),
        ({"allowPrivileged": True}, {"securityContext": {"privileged": True}}, None),
        (
            {"maxCapabilities": ["NET_ADMIN"]},
            {"securityContext": {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}}},
            (403, "capability SYS_ADMIN is not allowed"),
        ),  # capabilities before privileged
        ({"requireNonRoot": True}, {}, (403, "ephemeral container must run as non-root")),
        (
            {"requireNonRoot": True},
            {"securityContext": {"privileged": True}},
            (403, "privileged ephemeral containers are not allowed"),
        ),  # privileged before non-root
        ({"requireNonRoot": True}, {"securityContext": {"runAsNonRoot": True}}, None),
    ],
)
def test_ephemeral_policy_in_order(
    config: dict[str, Any], changes: dict[str, Any], expected: tuple[int, str] | None
) -> None:
    refusal = ops.ephemeral_refusal(ephemeral(**config), inject(**changes), {})
    assert (None if refusal is None else (refusal.status, refusal.message)) == expected


def test_require_non_root_is_the_default() -> None:
    cfg = EphemeralContainersConfig.model_validate({"enabled": True})
    assert ops.ephemeral_refusal(cfg, inject(), {}) == Refusal(403, "ephemeral container must run as non-root")


def test_pod_copy_namespace() -> None:
    cfg = PodCopyConfig.model_validate({"enabled": True, "deniedNamespaces": {"patterns": ["prod-*"]}})
    assert ops.pod_copy_namespace_refusal(cfg, "app-shop", {}) is None
    assert ops.pod_copy_namespace_refusal(cfg, "prod-db", {}) == Refusal(
        403, "namespace prod-db is not allowed for pod copy"
    )


def test_node_checks() -> None:
    cfg = NodeDebugConfig.model_validate({"enabled": True, "nodeSelector": {"role": "worker"}})
    assert ops.node_refusal(cfg, "n1", None) == Refusal(400, "node n1 not found")
    assert ops.node_refusal(cfg, "n1", {"role": "worker"}) is None
    assert ops.node_refusal(cfg, "n1", {"role": "infra"}) == Refusal(
        403, "node n1 does not match required selector role=worker"
    )


@pytest.mark.parametrize(
    ("allowed", "requested", "expected"),
    [
        ([], "", "busybox:stable"),
        (["alpine:*", "registry.io/debug:1"], "", "registry.io/debug:1"),  # a glob is never used as an image
        (["busybox:*"], "", "busybox:stable"),
        (
            ["alpine:*"],
            "",
            Refusal(400, "nodeDebug.allowedImages names no pullable image; give one in the request's image field"),
        ),
        (["alpine:*"], "alpine:3.20", "alpine:3.20"),
        (["alpine:*"], "busybox:1", Refusal(403, "image busybox:1 is not in the allowed list")),
    ],
)
def test_node_debug_image(allowed: list[str], requested: str, expected: object) -> None:
    cfg = NodeDebugConfig.model_validate({"enabled": True, "allowedImages": allowed})
    assert ops.node_debug_image(cfg, requested) == expected
