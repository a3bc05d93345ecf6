"""API settings (environment variables; names as the reference names them where it has them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.durations import DurationError, parse_duration
from domain.hosts import is_loopback
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
    catalog_strict: bool = Field(default=False, validation_alias=_env("DEBUG_SESSION_CATALOG_STRICT", "catalog_strict"))
    catalog_poll_interval: float = Field(
        default=0.5, gt=0, le=60, validation_alias=_env("DEBUG_SESSION_CATALOG_POLL_INTERVAL", "catalog_poll_interval")
    )
    tokens_file: Path | None = Field(default=None, validation_alias=_env("DEBUG_SESSION_TOKENS_FILE", "tokens_file"))
    allow_token_file_on_public_address: bool = Field(
        default=False,
        validation_alias=_env("DEBUG_SESSION_ALLOW_TOKEN_FILE_ON_PUBLIC_ADDRESS", "allow_token_file_on_public_address"),
    )
    temporal_address: str = Field(
        default="localhost:7233", validation_alias=_env("TEMPORAL_ADDRESS", "temporal_address")
    )
    temporal_namespace: str = Field(
        default="default", validation_alias=_env("TEMPORAL_NAMESPACE", "temporal_namespace")
    )
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=_env("DEBUG_SESSION_TASK_QUEUE", "task_queue"))
    approval_timeout: str = Field(
        default="24h", validation_alias=_env("DEBUG_SESSION_APPROVAL_TIMEOUT", "approval_timeout")
    )
    safety_check_interval: str = Field(
        default="15m", validation_alias=_env("DEBUG_SESSION_SAFETY_CHECK_INTERVAL", "safety_check_interval")
    )
    """How often an Active session looks at its cluster when nothing else wakes it."""
    retention_period: str = Field(
        default="168h", validation_alias=_env("DEBUG_SESSION_RETENTION_PERIOD", "retention_period")
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

    @field_validator("approval_timeout", "retention_period", "safety_check_interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        try:
            if parse_duration(value) <= timedelta(0):
                raise ValueError(f"{value!r} must be positive")
        except DurationError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _no_dev_auth_in_public(self) -> ApiSettings:
        if self.tokens_file is not None and not self.allow_token_file_on_public_address and not is_loopback(self.host):
            raise ValueError(
                f"refusing to serve static-token authentication on {self.host}: bind to 127.0.0.1 or set "
                "DEBUG_SESSION_ALLOW_TOKEN_FILE_ON_PUBLIC_ADDRESS=true (development only)"
            )
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
    def approval_timeout_delta(self) -> timedelta:
        """DEBUG_SESSION_APPROVAL_TIMEOUT parsed."""
        return parse_duration(self.approval_timeout)

    @property
    def workflow_settings(self) -> WorkflowSettings:
        """The operator settings a new session is started with (and keeps)."""
        return WorkflowSettings(
            approval_timeout=self.approval_timeout_delta,
            safety_check_interval=parse_duration(self.safety_check_interval),
        )
