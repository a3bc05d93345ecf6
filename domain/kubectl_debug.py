"""kubectl-debug policy: ephemeral containers, node debug pods, pod copies."""

from __future__ import annotations

from pydantic import Field

from domain.base import Model
from domain.meta import StringMap
from domain.namespaces import NamespaceFilter


class EphemeralContainersConfig(Model):
    """Which ephemeral containers may be injected into which pods."""

    enabled: bool = False
    allowed_namespaces: NamespaceFilter | None = None
    denied_namespaces: NamespaceFilter | None = None
    allowed_images: list[str] = Field(default_factory=list)
    """Image globs; empty means any image."""
    require_image_digest: bool = False
    max_capabilities: list[str] = Field(default_factory=list)
    allow_privileged: bool = False
    require_non_root: bool = True


class HostNamespaces(Model):
    """Host namespaces a node debug pod joins."""

    host_network: bool = Field(default=True, alias="hostNetwork")
    host_pid: bool = Field(default=True, alias="hostPID")
    host_ipc: bool = Field(default=False, alias="hostIPC")


class NodeDebugConfig(Model):
    """Privileged per-node debug pods."""

    enabled: bool = False
    allowed_images: list[str] = Field(default_factory=list)
    host_namespaces: HostNamespaces | None = None
    node_selector: StringMap = Field(default_factory=dict)


class PodCopyConfig(Model):
    """Debug copies of existing pods."""

    enabled: bool = False
    target_namespace: str = "debug-copies"
    create_target_namespace: bool = False
    """Ours: create `targetNamespace` when it does not exist (the reference refuses the copy)."""
    allowed_namespaces: NamespaceFilter | None = None
    denied_namespaces: NamespaceFilter | None = None
    labels: StringMap = Field(default_factory=dict)
    ttl: str = "2h"


class KubectlDebugConfig(Model):
    """All kubectl-debug operations a session of mode kubectl-debug or hybrid may perform."""

    ephemeral_containers: EphemeralContainersConfig | None = None
    node_debug: NodeDebugConfig | None = None
    pod_copy: PodCopyConfig | None = None
