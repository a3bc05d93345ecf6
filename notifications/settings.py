"""Notification settings of the worker (environment variables), also checked by `dsctl validate --settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.hosts import is_loopback


class NotificationSettings(BaseSettings):
    """SMTP server, chat webhooks, the group directory and the links mails point to."""

    # Every field is read from `DEBUG_SESSION_<FIELD>` only (a bare `SMTP_HOST` in the environment is not ours).
    model_config = SettingsConfigDict(extra="ignore", env_prefix="DEBUG_SESSION_")

    smtp_host: str = ""
    """Empty: no e-mail at all."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "debug-sessions@localhost"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout: float = Field(default=10, gt=0)
    """Seconds for connecting and for each exchange with the server."""
    group_directory: Path | None = None
    """A YAML file `group: [address, ...]` that expands approver groups into addresses."""
    public_url: str = "http://127.0.0.1:8080"
    """Where people open a session: links are `<public_url>/debug-sessions/<name>`."""
    chat_webhook_url: str = ""
    """Slack-compatible incoming webhooks, comma-separated."""
    branding_name: str = "Debug Sessions"

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator("group_directory", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> NotificationSettings:
        if self.smtp_username and self.smtp_tls == "none" and self.smtp_host and not is_loopback(self.smtp_host):
            raise ValueError(
                "DEBUG_SESSION_SMTP_USERNAME is set but DEBUG_SESSION_SMTP_TLS is none: the password would cross "
                "the network in clear; use starttls or tls"
            )
        return self

    @property
    def chat_webhook_urls(self) -> tuple[str, ...]:
        """The chat webhooks, in the order given."""
        return tuple(u.strip() for u in self.chat_webhook_url.split(",") if u.strip())
