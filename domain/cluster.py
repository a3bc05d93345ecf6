"""ClusterConfig: a target cluster and how to reach it (ours; the reference has its own CRD)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from domain.base import Model
from domain.impersonation import ImpersonationConfig
from domain.meta import ObjectMeta


class KubeconfigRef(Model):
    """A kubeconfig file (in-cluster deployments mount secrets as files) and the context to use."""

    path: str = Field(min_length=1)
    """Relative paths are resolved against the directory of the manifest that names them."""
    context: str | None = None
    """Absent means the kubeconfig's current-context."""


class ClusterConfigSpec(Model):
    """How to reach the cluster and how to present it."""

    kubeconfig: KubeconfigRef
    tenant: str | None = None
    """Alias users may give instead of the name; must be unique across clusters to be usable."""
    display_name: str = ""
    impersonation: ImpersonationConfig | None = None
    """Default impersonation for sessions on this cluster when neither template nor binding sets one."""


class ClusterConfig(Model):
    """A target cluster. Labels (environment, location, ...) drive binding clusterSelectors and filters."""

    api_version: str = ""
    kind: Literal["ClusterConfig"] = "ClusterConfig"
    metadata: ObjectMeta
    spec: ClusterConfigSpec
    status: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.metadata.name
