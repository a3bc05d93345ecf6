"""kubectl-debug operations (docs/behaviour/access.md): request bodies and the policy checks that are pure.

The same functions run in the session workflow (what needs no cluster) and in the activities (after the
namespace labels, the pod or the node have been read), so the order of checks and the messages live in
one place. A refusal carries the HTTP status the API answers with.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain import k8s
from domain.globs import path_match
from domain.kubectl_debug import EphemeralContainersConfig, KubectlDebugConfig, NodeDebugConfig, PodCopyConfig
from domain.namespaces import NamespaceFilter
from domain.refusal import Refusal
from domain.resolution.namespaces import filter_matches

DEFAULT_NODE_DEBUG_IMAGE = "busybox:stable"


class _Body(BaseModel):
    """Strict JSON: unknown fields are refused; missing required strings are checked in order."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# In the contract these are required and not blank; at run time a missing one is refused with its own
# message ("podName is required"), in the order `missing_field` checks them.
_NOT_BLANK: dict[str, Any] = {"minLength": 1, "pattern": r"\S"}
_INT64: dict[str, Any] = {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
SECURITY_CONTEXT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A Kubernetes SecurityContext (core/v1); the template's policy decides what is allowed.",
    "additionalProperties": False,
    "properties": {
        "allowPrivilegeEscalation": {"type": "boolean"},
        "privileged": {"type": "boolean"},
        "readOnlyRootFilesystem": {"type": "boolean"},
        "runAsNonRoot": {"type": "boolean"},
        "runAsUser": _INT64,
        "runAsGroup": _INT64,
        "procMount": {"type": "string"},
        "capabilities": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"add": _STRINGS, "drop": _STRINGS},
        },
    },
}


class EphemeralContainerRequest(_Body):
    """`POST …/injectEphemeralContainer`."""

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["namespace", "podName", "containerName", "image"],
            "examples": [{"namespace": "default", "podName": "web-0", "containerName": "debugger", "image": "busybox"}],
        }
    )

    namespace: str = Field(default="", json_schema_extra=_NOT_BLANK)
    pod_name: str = Field(default="", alias="podName", json_schema_extra=_NOT_BLANK)
    container_name: str = Field(default="", alias="containerName", json_schema_extra=_NOT_BLANK)
    image: str = Field(default="", json_schema_extra=_NOT_BLANK)
    command: tuple[str, ...] | None = None
    security_context: dict[str, Any] | None = Field(
        default=None, alias="securityContext", json_schema_extra=SECURITY_CONTEXT_SCHEMA
    )

    @field_validator("security_context", mode="before")
    @classmethod
    def _whole_numbers(cls, value: Any) -> Any:
        """JSON does not tell 1000 from 1000.0: a whole number is an integer, as JSON Schema says."""
        return _integral(value)


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


class PodCopyRequest(_Body):
    """`POST …/createPodCopy`."""

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["namespace", "podName"],
            "examples": [{"namespace": "default", "podName": "web-0"}],
        }
    )

    namespace: str = Field(default="", json_schema_extra=_NOT_BLANK)
    pod_name: str = Field(default="", alias="podName", json_schema_extra=_NOT_BLANK)
    debug_image: str = Field(default="", alias="debugImage")


class NodeDebugPodRequest(_Body):
    """`POST …/createNodeDebugPod`. `image` is ours (optional): the reference always takes the first
    `allowedImages` entry, even when it is a glob that no registry can pull."""

    model_config = ConfigDict(json_schema_extra={"required": ["nodeName"], "examples": [{"nodeName": "worker-1"}]})

    node_name: str = Field(default="", alias="nodeName", json_schema_extra=_NOT_BLANK)
    image: str = ""


DebugRequest = EphemeralContainerRequest | PodCopyRequest | NodeDebugPodRequest


def missing_field(request: DebugRequest) -> Refusal | None:
    """The first required field that is empty, in the reference's order."""
    if isinstance(request, NodeDebugPodRequest):
        required = [("nodeName", request.node_name)]
    else:
        required = [("namespace", request.namespace), ("podName", request.pod_name)]
        if isinstance(request, EphemeralContainerRequest):
            required += [("containerName", request.container_name), ("image", request.image)]
    for name, value in required:
        if not value.strip():
            return Refusal(400, f"{name} is required")
    if isinstance(request, EphemeralContainerRequest) and request.security_context is not None:
        _, findings = k8s.check(request.security_context, "V1SecurityContext", "securityContext")
        if findings:
            return Refusal(400, f"invalid request body: {findings[0].path}: {findings[0].message}")
    return None


# --- is the operation configured and enabled (step 1 of each operation) ------------------------------


def ephemeral_config(cfg: KubectlDebugConfig | None) -> EphemeralContainersConfig | Refusal:
    """The ephemeral-container policy, or why there is none."""
    section = cfg.ephemeral_containers if cfg else None
    if section is None:
        return Refusal(400, "ephemeral containers not configured in template")
    if not section.enabled:
        return Refusal(400, "ephemeral containers are not enabled for this template")
    return section


def pod_copy_config(cfg: KubectlDebugConfig | None) -> PodCopyConfig | Refusal:
    """The pod-copy policy, or why there is none."""
    section = cfg.pod_copy if cfg else None
    if section is None:
        return Refusal(400, "pod copy not configured in template")
    if not section.enabled:
        return Refusal(400, "pod copy is not enabled for this template")
    return section


def node_debug_config(cfg: KubectlDebugConfig | None) -> NodeDebugConfig | Refusal:
    """The node-debug policy, or why there is none."""
    section = cfg.node_debug if cfg else None
    if section is None:
        return Refusal(400, "node debug not configured in template")
    if not section.enabled:
        return Refusal(400, "node debug is not enabled for this template")
    return section


# --- namespace, image, security, node -------------------------------------------------------------


def needs_namespace_labels(allowed: NamespaceFilter | None, denied: NamespaceFilter | None) -> bool:
    """Labels are read from the cluster only when a filter has selectorTerms."""
    return any(f is not None and f.selector_terms for f in (allowed, denied))


def namespace_allowed(
    allowed: NamespaceFilter | None, denied: NamespaceFilter | None, namespace: str, labels: dict[str, str]
) -> bool:
    """Denied wins; an empty allow filter allows everything not denied; otherwise it must match."""
    if denied is not None and filter_matches(denied, namespace, labels):
        return False
    if allowed is None or allowed.is_empty():
        return True
    return filter_matches(allowed, namespace, labels)


def image_allowed(allowed: list[str], image: str) -> bool:
    """Empty list = any image; otherwise a path-glob match of the full reference (`*` never crosses `/`)."""
    return not allowed or any(path_match(p, image) for p in allowed)


def ephemeral_refusal(
    cfg: EphemeralContainersConfig, request: EphemeralContainerRequest, labels: dict[str, str]
) -> Refusal | None:
    """Steps 2 to 7 of docs/behaviour/access.md#inject-an-ephemeral-container, in order, once the namespace
    labels are known (empty when not needed)."""
    ns = request.namespace
    if not namespace_allowed(cfg.allowed_namespaces, cfg.denied_namespaces, ns, labels):
        return Refusal(403, f"namespace {ns} is not allowed for ephemeral container injection")
    if not image_allowed(cfg.allowed_images, request.image):
        return Refusal(403, f"image {request.image} is not in the allowed list")
    if cfg.require_image_digest and "@sha256:" not in request.image:
        return Refusal(403, "image must use @sha256: digest")
    sc = request.security_context or {}
    added = ((sc.get("capabilities") or {}).get("add")) or []
    if cfg.max_capabilities:
        permitted = {c.upper() for c in cfg.max_capabilities}
        for cap in added:
            if str(cap).upper() not in permitted:
                return Refusal(403, f"capability {cap} is not allowed")
    if sc.get("privileged") is True and not cfg.allow_privileged:
        return Refusal(403, "privileged ephemeral containers are not allowed")
    if cfg.require_non_root and sc.get("runAsNonRoot") is not True:
        return Refusal(403, "ephemeral container must run as non-root")
    return None


def pod_copy_namespace_refusal(cfg: PodCopyConfig, namespace: str, labels: dict[str, str]) -> Refusal | None:
    """The source namespace against the pod-copy filters (docs/behaviour/access.md#copy-a-pod)."""
    if namespace_allowed(cfg.allowed_namespaces, cfg.denied_namespaces, namespace, labels):
        return None
    return Refusal(403, f"namespace {namespace} is not allowed for pod copy")


def node_debug_image(cfg: NodeDebugConfig, requested: str) -> str | Refusal:
    """The image of a node debug pod: the requested one (must be allowed), else the first allowed entry
    that is a real image reference (not a glob), else busybox:stable when the list allows it."""
    if requested:
        if not image_allowed(cfg.allowed_images, requested):
            return Refusal(403, f"image {requested} is not in the allowed list")
        return requested
    literal = next((i for i in cfg.allowed_images if not any(c in i for c in "*?[")), None)
    if literal is not None:
        return literal
    if image_allowed(cfg.allowed_images, DEFAULT_NODE_DEBUG_IMAGE):
        return DEFAULT_NODE_DEBUG_IMAGE
    return Refusal(400, "nodeDebug.allowedImages names no pullable image; give one in the request's image field")


def node_refusal(cfg: NodeDebugConfig, node: str, labels: dict[str, str] | None) -> Refusal | None:
    """The node must exist (ours: always checked) and carry every nodeSelector label exactly
    (docs/behaviour/access.md#node-debug-pod)."""
    if labels is None:
        return Refusal(400, f"node {node} not found")
    for key, value in cfg.node_selector.items():
        if labels.get(key) != value:
            return Refusal(403, f"node {node} does not match required selector {key}={value}")
    return None
