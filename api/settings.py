"""API settings (environment variables; names as the reference names them where it has them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.durations import PositiveDuration
from domain.hosts import is_loopback
from temporal_access.settings import TemporalSettings
from workflows.models import TASK_QUEUE, WorkflowSettings


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class ApiSettings(BaseSettings):
    """Everything the API process needs; refuses insecure combinations at start."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias=_env("DEBUG_SESSION_API_HOST", "host"))
    port: int = Field(default=8080, validation_alias=_env("DEBUG_SESSION_API_PORT", "port"))
    catalog_dir: Path = Field(
        default=Path("deploy/demo-catalog"), validation_alias=_env("DEBUG_SESSION_CATALOG_DIR", "catalog_dir")
    )
    catalog_source: Literal["directory", "kubernetes"] = Field(
        default="directory", validation_alias=_env("DEBUG_SESSION_CATALOG_SOURCE", "catalog_source")
    )
    """`directory` (DEBUG_SESSION_CATALOG_DIR) or `kubernetes` (the catalog kinds as resources of a hub cluster)."""
    catalog_kubeconfig: Path | None = Field(
        default=None, validation_alias=_env("DEBUG_SESSION_CATALOG_KUBECONFIG", "catalog_kubeconfig")
    )
    """The hub cluster's kubeconfig; unset: the pod's service account (in-cluster)."""
    catalog_namespace: str = Field(
        default="", validation_alias=_env("DEBUG_SESSION_CATALOG_NAMESPACE", "catalog_namespace")
    )
    """Where namespaced catalog kinds (bindings) are read on the hub; empty: every namespace."""
    catalog_strict: bool = Field(default=False, validation_alias=_env("DEBUG_SESSION_CATALOG_STRICT", "catalog_strict"))
    catalog_poll_interval: float = Field(
        default=0.5, gt=0, le=60, validation_alias=_env("DEBUG_SESSION_CATALOG_POLL_INTERVAL", "catalog_poll_interval")
    )
    tokens_file: Path | None = Field(default=None, validation_alias=_env("DEBUG_SESSION_TOKENS_FILE", "tokens_file"))
    allow_token_file_on_public_address: bool = Field(
        default=False,
        validation_alias=_env("DEBUG_SESSION_ALLOW_TOKEN_FILE_ON_PUBLIC_ADDRESS", "allow_token_file_on_public_address"),
    )
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    """TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API key (temporal_access/settings.py)."""
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=_env("DEBUG_SESSION_TASK_QUEUE", "task_queue"))
    approval_timeout: PositiveDuration = Field(
        default=timedelta(hours=24), validation_alias=_env("DEBUG_SESSION_APPROVAL_TIMEOUT", "approval_timeout")
    )
    safety_check_interval: PositiveDuration = Field(
        default=timedelta(minutes=15),
        validation_alias=_env("DEBUG_SESSION_SAFETY_CHECK_INTERVAL", "safety_check_interval"),
    )
    """How often an Active session looks at its cluster when nothing else wakes it."""
    retention_period: PositiveDuration = Field(
        default=timedelta(hours=168), validation_alias=_env("DEBUG_SESSION_RETENTION_PERIOD", "retention_period")
    )
    admin_groups: str = Field(default="", validation_alias=_env("DEBUG_SESSION_ADMIN_GROUPS", "admin_groups"))
    oidc_issuer: str = Field(default="", validation_alias=_env("DEBUG_SESSION_OIDC_ISSUER", "oidc_issuer"))
    oidc_audience: str = Field(default="", validation_alias=_env("DEBUG_SESSION_OIDC_AUDIENCE", "oidc_audience"))
    oidc_jwks_url: str = Field(default="", validation_alias=_env("DEBUG_SESSION_OIDC_JWKS_URL", "oidc_jwks_url"))
    oidc_username_claim: str = Field(
        default="preferred_username", validation_alias=_env("DEBUG_SESSION_OIDC_USERNAME_CLAIM", "oidc_username_claim")
    )
    oidc_groups_claim: str = Field(
        default="groups", validation_alias=_env("DEBUG_SESSION_OIDC_GROUPS_CLAIM", "oidc_groups_claim")
    )
    oidc_refetch_cooldown: float = Field(
        default=30, ge=0, validation_alias=_env("DEBUG_SESSION_OIDC_JWKS_REFETCH_COOLDOWN", "oidc_refetch_cooldown")
    )
    oidc_client_id: str = Field(
        default="", validation_alias=_env("DEBUG_SESSION_OIDC_CLIENT_ID", "oidc_client_id")
    )  # the browser's (public) client, announced to UIs by /api/config
    oidc_authority: str = Field(
        default="", validation_alias=_env("DEBUG_SESSION_OIDC_AUTHORITY", "oidc_authority")
    )  # where browsers log in; empty: the issuer
    branding_name: str = Field(
        default="Debug Sessions", validation_alias=_env("DEBUG_SESSION_BRANDING_NAME", "branding_name")
    )
    ui_flavour: str = Field(default="oss", validation_alias=_env("DEBUG_SESSION_UI_FLAVOUR", "ui_flavour"))
    webhook_token: str = Field(default="", validation_alias=_env("DEBUG_SESSION_WEBHOOK_TOKEN", "webhook_token"))
    index_refresh_interval: float = Field(
        default=1.0,
        gt=0,
        le=30,
        validation_alias=_env("DEBUG_SESSION_INDEX_REFRESH_INTERVAL", "index_refresh_interval"),
    )
    request_timeout: float = Field(
        default=5.0,
        gt=0,
        le=60,
        validation_alias=_env("DEBUG_SESSION_REQUEST_TIMEOUT", "request_timeout"),
    )
    """Every request is answered within this many seconds: a 503 with Retry-After when Temporal is slow."""
    cluster_health_interval: float = Field(
        default=30, gt=0, validation_alias=_env("DEBUG_SESSION_CLUSTER_HEALTH_INTERVAL", "cluster_health_interval")
    )
    sessions_namespace: str = Field(
        default="breakglass", validation_alias=_env("DEBUG_SESSION_NAMESPACE", "sessions_namespace")
    )

    @model_validator(mode="after")
    def _no_dev_auth_in_public(self) -> ApiSettings:
        if self.tokens_file is not None and not self.allow_token_file_on_public_address and not is_loopback(self.host):
            raise ValueError(
                f"refusing to serve static-token authentication on {self.host}: bind to 127.0.0.1 or set "
                "DEBUG_SESSION_ALLOW_TOKEN_FILE_ON_PUBLIC_ADDRESS=true (development only)"
            )
        return self

    @model_validator(mode="after")
    def _webhook_token_in_public(self) -> ApiSettings:
        if not self.webhook_token and not is_loopback(self.host):
            raise ValueError(
                f"refusing to serve the authorization webhook on {self.host} without a token: set "
                "DEBUG_SESSION_WEBHOOK_TOKEN (and the same bearer token in the kube-apiserver's webhook kubeconfig)"
            )
        return self

    @model_validator(mode="after")
    def _oidc_over_tls(self) -> ApiSettings:
        for name, url in (
            ("DEBUG_SESSION_OIDC_ISSUER", self.oidc_issuer),
            ("DEBUG_SESSION_OIDC_JWKS_URL", self.oidc_jwks_url),
        ):
            parsed = urlsplit(url)
            if url and parsed.scheme != "https" and not is_loopback(parsed.hostname or ""):
                raise ValueError(f"{name} must be an https:// URL (plain http only on a loopback address): {url}")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> ApiSettings:
        given = [bool(self.oidc_issuer), bool(self.oidc_jwks_url)]
        if (any(given) or self.oidc_audience) and not all(given):
            raise ValueError(
                "OIDC needs DEBUG_SESSION_OIDC_ISSUER and DEBUG_SESSION_OIDC_JWKS_URL together "
                "(DEBUG_SESSION_OIDC_AUDIENCE is optional)"
            )
        return self

    @property
    def admin_group_set(self) -> frozenset[str]:
        """DEBUG_SESSION_ADMIN_GROUPS as a set."""
        return frozenset(g.strip() for g in self.admin_groups.split(",") if g.strip())

    @property
    def workflow_settings(self) -> WorkflowSettings:
        """The operator settings a new session is started with (and keeps)."""
        return WorkflowSettings(
            approval_timeout=self.approval_timeout,
            safety_check_interval=self.safety_check_interval,
        )
