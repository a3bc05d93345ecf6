"""Audit settings (environment variables), read by the API and the worker alike."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    audit_log: str = Field(default="stdout", validation_alias=AliasChoices("DEBUG_SESSION_AUDIT_LOG"))
    """`stdout` (or `-`), a file path (appended to), or `off`."""
    audit_webhook_url: str = Field(default="", validation_alias=AliasChoices("DEBUG_SESSION_AUDIT_WEBHOOK_URL"))
    """A global sink: every event is POSTed there too (`application/cloudevents+json`), with retries."""
